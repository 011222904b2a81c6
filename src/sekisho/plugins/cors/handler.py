"""`cors`: answer CORS preflights at the gateway and add CORS headers to proxied responses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.cors.origins import AllowedOrigin, compile_origin, looks_literal, normalize_origin
from sekisho.plugins.cors.schema import CONFIG, METHODS

__all__ = ["CorsConf", "Handler", "origin_headers"]

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"


@dataclass(frozen=True, slots=True)
class CorsConf:
    allow_all: bool
    single_literal: str | None  # one non-regex origin: always sent as is
    origins: tuple[AllowedOrigin, ...]
    star_listed: bool
    headers: str | None
    exposed_headers: str | None
    methods: str
    max_age: str | None
    credentials: bool
    private_network: bool
    allow_origin_absent: bool
    preflight_continue: bool


@dataclass(slots=True)
class OriginDecision:
    headers: dict[str, str]
    vary: bool = False
    clear_allow_origin: bool = False


def origin_headers(conf: CorsConf, request_origin: str | None) -> OriginDecision:
    """The origin and credentials headers for a request, following Kong's rules."""
    decision = OriginDecision({})
    allow_all = conf.allow_all
    if allow_all:
        decision.headers[ACAO] = "*"
    else:
        decision.vary = True
        if conf.single_literal is not None:
            decision.headers[ACAO] = conf.single_literal
        elif request_origin and conf.star_listed:
            decision.headers[ACAO] = "*"
            allow_all = True
        elif request_origin:
            normalized = normalize_origin(request_origin)
            if any(origin.matches(normalized) for origin in conf.origins):
                decision.headers[ACAO] = normalized.domain
            else:
                decision.clear_allow_origin = True
        else:
            decision.clear_allow_origin = True
    if conf.credentials:
        if not allow_all:
            decision.headers[ACAC] = "true"
        elif request_origin:
            decision.vary = True
            decision.headers[ACAO] = request_origin
            decision.headers[ACAC] = "true"
    return decision


class Handler(Plugin[CorsConf]):
    NAME = "cors"
    PRIORITY = 2000
    VERSION = "3.4.0"
    CONFIG = CONFIG
    NO_CONSUMER = True

    def prepare(self, config: Mapping[str, Any]) -> CorsConf:
        origins: list[str] = list(config.get("origins") or [])
        allow_all = not origins or origins == ["*"]
        single = origins[0] if len(origins) == 1 and looks_literal(origins[0]) else None
        headers = config.get("headers")
        exposed = config.get("exposed_headers")
        max_age = config.get("max_age")
        methods = config.get("methods")
        return CorsConf(
            allow_all=allow_all,
            single_literal=None if allow_all else single,
            origins=tuple(compile_origin(o) for o in origins if o != "*"),
            star_listed="*" in origins,
            headers=",".join(headers) if headers else None,
            exposed_headers=",".join(exposed) if exposed else None,
            methods=",".join(methods if methods is not None else METHODS),
            max_age=None if max_age is None else _number_text(max_age),
            credentials=bool(config["credentials"]),
            private_network=bool(config.get("private_network")),
            allow_origin_absent=config.get("allow_origin_absent") is not False,
            preflight_continue=bool(config["preflight_continue"]),
        )

    async def access(self, kong: PDK, conf: CorsConf) -> None:
        origin = kong.request.get_header("origin")
        if (
            kong.request.get_method() != "OPTIONS"
            or not origin
            or not kong.request.get_header("access-control-request-method")
        ):
            return
        # A preflight: either the upstream answers it or we do, and header_filter adds nothing either way.
        kong.ctx.plugin["skip_response_headers"] = True
        if conf.preflight_continue:
            return
        decision = origin_headers(conf, origin)
        headers = dict(decision.headers)
        if decision.vary:
            headers["Vary"] = "Origin"
        allow_headers = conf.headers or kong.request.get_header("access-control-request-headers")
        if allow_headers:
            headers["Access-Control-Allow-Headers"] = allow_headers
        headers["Access-Control-Allow-Methods"] = conf.methods
        if conf.max_age is not None:
            headers["Access-Control-Max-Age"] = conf.max_age
        if conf.private_network and kong.request.get_header("access-control-request-private-network") == "true":
            headers["Access-Control-Allow-Private-Network"] = "true"
        kong.response.exit(200, None, headers)

    def header_filter(self, kong: PDK, conf: CorsConf) -> None:
        if kong.ctx.plugin.get("skip_response_headers"):
            return
        origin = kong.request.get_header("origin")
        if origin is None and not conf.allow_origin_absent:
            return
        decision = origin_headers(conf, origin)
        if decision.vary:
            kong.response.add_header("Vary", "Origin")
        if decision.clear_allow_origin:
            kong.response.clear_header(ACAO)
        for name, value in decision.headers.items():
            kong.response.set_header(name, value)
        if conf.exposed_headers:
            kong.response.set_header("Access-Control-Expose-Headers", conf.exposed_headers)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
