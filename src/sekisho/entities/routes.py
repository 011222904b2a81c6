"""The `routes` entity (kong/db/schema/entities/routes.lua and routes_subschemas.lua)."""

from __future__ import annotations

import re
from typing import Any

from sekisho.schema import Array, Boolean, EntitySchema, Foreign, Integer, Map, Record, Set, String, typedefs as t
from sekisho.utils.pcre import compile_route_regex, is_regex_path

__all__ = ["ROUTES"]

_METHOD_RE = re.compile(r"^[A-Z]+$")
_HTTP = {"http", "https"}
_STREAM = {"tcp", "tls", "udp"}
_GRPC = {"grpc", "grpcs"}
_WS = {"ws", "wss"}
_GROUPS = (_HTTP, _STREAM, {"tls_passthrough"}, _GRPC, _WS)


def _check_method(value: str) -> str | None:
    return None if _METHOD_RE.match(value) else f"invalid value: {value}"


def _check_route_path(value: str) -> str | None:
    if not value.startswith(("/", "~")):
        return "should start with: / (fixed path) or ~/ (regex path)"
    if is_regex_path(value):
        try:
            compile_route_regex(value)
        except re.error as exc:
            return f"invalid regex: '{value}' (PCRE returned: {exc})"
        return None
    if "//" in value:
        return "must not have empty segments"
    return None


def _check_header_map_key(value: str) -> str | None:
    if value.lower() == "host":
        return "cannot contain 'host' header, which must be specified in the 'hosts' attribute"
    return t.check_header_name(value)


def _non_empty(row: dict[str, Any], key: str) -> bool:
    value = row.get(key)
    return value is not None and value != [] and value != {}


def _route_checks(row: dict[str, Any]) -> dict[str, Any] | None:
    protocols = set(row.get("protocols") or [])
    groups = [g for g in _GROUPS if protocols & g]
    if len(groups) > 1:
        names = " or ".join("'" + "', '".join(sorted(g)) + "'" for g in groups)
        return {"protocols": f"these sets are mutually exclusive: {names}"}
    errors: dict[str, Any] = {}
    entity: list[str] = []
    if protocols & (_HTTP | _WS):
        candidates = ["methods", "hosts", "headers", "paths"]
        if protocols & {"https", "wss"}:
            candidates.append("snis")
        for key in ("sources", "destinations"):
            if _non_empty(row, key):
                errors[key] = "cannot set '" + key + "' when 'protocols' is 'http' or 'https'"
    elif protocols & _GRPC:
        candidates = ["hosts", "headers", "paths"]
        if "grpcs" in protocols:
            candidates.append("snis")
        for key in ("methods", "sources", "destinations"):
            if _non_empty(row, key):
                errors[key] = "cannot set '" + key + "' when 'protocols' is 'grpc' or 'grpcs'"
        if row.get("strip_path"):
            errors["strip_path"] = "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"
    else:
        candidates = ["sources", "destinations", "snis"] if protocols & _STREAM else ["snis"]
        for key in ("methods", "hosts", "paths", "headers"):
            if _non_empty(row, key):
                errors[key] = "cannot set '" + key + "' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'"
    if _non_empty(row, "snis") and not protocols & {"https", "grpcs", "tls", "tls_passthrough", "wss"}:
        errors["snis"] = "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"
    if not any(_non_empty(row, key) for key in candidates):
        proto = sorted(protocols)[0] if protocols else "http"
        quoted = ", ".join(f"'{c}'" for c in candidates)
        entity.append(f"must set one of {quoted} when 'protocols' is '{proto}'")
    if entity:
        errors["@entity"] = entity
    return errors or None


_ENDPOINT = Record(
    {"ip": t.ip_or_cidr("Source or destination IP or CIDR."), "port": t.port("Port.")},
)

ROUTES = EntitySchema(
    name="routes",
    endpoint_key="name",
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "name": t.name("The route name."),
        "protocols": t.protocols("Protocols this route allows.", ["http", "https"]),
        "methods": Set(String(validators=[_check_method]), description="HTTP methods that match this route."),
        "hosts": Array(
            String(validators=[t.check_hostname_wildcard]),
            description="Host header values that match; `*.` and `.*` wildcards allowed, optionally with a port.",
        ),
        "paths": Array(
            String(validators=[_check_route_path]),
            description="Path prefixes, or regexes (leading `~`, or any regex character as in Kong 2.8).",
        ),
        "headers": Map(
            String(validators=[_check_header_map_key]),
            Array(String(), len_min=1),
            description="Header names and values that must be present to match.",
        ),
        "https_redirect_status_code": Integer(
            default=426,
            one_of=[426, 301, 302, 307, 308],
            required=True,
            description="Status returned when a route only allows HTTPS and the request came over HTTP.",
        ),
        "regex_priority": Integer(default=0, description="Order in which regex routes are evaluated."),
        "strip_path": Boolean(default=True, required=True, description="Strip the matched path prefix."),
        "path_handling": String(
            default="v0", one_of=["v0", "v1"], required=True, description="How the upstream path is built."
        ),
        "preserve_host": Boolean(
            default=False, required=True, description="Send the client's Host header to the upstream."
        ),
        "request_buffering": Boolean(default=True, required=True, description="Buffer the request body."),
        "response_buffering": Boolean(default=True, required=True, description="Buffer the response body."),
        "snis": Set(String(validators=[t.check_hostname_wildcard]), description="SNIs that match this route."),
        "sources": Set(_ENDPOINT, description="Source IPs and ports (stream routes)."),
        "destinations": Set(_ENDPOINT, description="Destination IPs and ports (stream routes)."),
        "tags": t.tags(),
        "service": Foreign("services", description="The service this route forwards to."),
    },
    checks=[_route_checks],
)
