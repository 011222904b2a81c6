"""The IdP's ASGI application: the regional host (JSON API, discovery, JWKS) and the hosted domains.

A hosted domain is addressed either by Host header (`<prefix>.auth.localhost:<port>`, or a custom domain's
name) or by path (`/domains/<prefix>/...`, for clients that cannot resolve `*.localhost`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sekisho.idp.hosted.outbox_page import outbox_page
from sekisho.idp.hosted.routes import hosted_routes
from sekisho.idp.jsonapi import handle_json_api
from sekisho.idp.oauth2.context import DOMAIN_SCOPE_KEY
from sekisho.idp.oauth2.discovery import discovery
from sekisho.idp.oauth2.jwks import jwks
from sekisho.idp.services import Services

__all__ = ["build_app"]

Endpoint = Callable[[Services, Request], Awaitable[Response]]
_HOST_SUFFIX = ".auth.localhost"
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def bind(svc: Services, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        return await endpoint(svc, request)

    return handler


async def _health(svc: Services, request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def build_app(svc: Services) -> ASGIApp:
    regional_routes = [
        Route("/", bind(svc, handle_json_api), methods=["POST"]),
        Route("/{pool_id}/.well-known/openid-configuration", bind(svc, discovery), methods=["GET"]),
        Route("/{pool_id}/.well-known/jwks.json", bind(svc, jwks), methods=["GET"]),
        Route("/health", bind(svc, _health), methods=["GET"]),
    ]
    if svc.settings.outbox_page:
        regional_routes.append(Route("/_outbox", bind(svc, outbox_page), methods=["GET"]))
    regional = Starlette(routes=regional_routes)
    hosted = Starlette(routes=[Route(path, bind(svc, fn), methods=methods) for path, fn, methods in hosted_routes()])
    return DomainRouter(svc, regional, hosted)


class DomainRouter:
    def __init__(self, svc: Services, regional: ASGIApp, hosted: ASGIApp) -> None:
        self._svc = svc
        self._regional = regional
        self._hosted = hosted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._regional(scope, receive, send)
            return
        send = _with_security_headers(send)
        host = _host_of(scope)
        if host.endswith(_HOST_SUFFIX) and host != _HOST_SUFFIX[1:]:
            prefix = host[: -len(_HOST_SUFFIX)]
            await self._hosted({**scope, DOMAIN_SCOPE_KEY: prefix}, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/domains/"):
            prefix = path.split("/", 3)[2]
            await self._hosted({**scope, DOMAIN_SCOPE_KEY: prefix, "root_path": f"/domains/{prefix}"}, receive, send)
            return
        if "." in host and not _is_ip(host) and await self._svc.repo.domain(host) is not None:
            await self._hosted({**scope, DOMAIN_SCOPE_KEY: host}, receive, send)
            return
        await self._regional(scope, receive, send)


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
        await send(message)

    return wrapped


def _host_of(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = str(value.decode("latin-1")).lower()
            if host.startswith("["):
                return host.split("]", 1)[0] + "]"
            return host.rsplit(":", 1)[0] if ":" in host else host
    return ""


def _is_ip(host: str) -> bool:
    return host.replace(".", "").isdigit() or host.startswith("[")
