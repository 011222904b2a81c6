"""`request-transformer`: edit the upstream request's method, path, headers, query string and body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.request_transformer import multipart
from sekisho.plugins.request_transformer.schema import CONFIG
from sekisho.plugins.request_transformer.templates import Template, parse_template
from sekisho.plugins.request_transformer.transform import (
    Operations,
    Params,
    append_value,
    apply_operations,
    parse_entries,
)

__all__ = ["Handler", "RequestTransformerConf"]


@dataclass(frozen=True, slots=True)
class RequestTransformerConf:
    http_method: str | None
    uri: Template | None
    headers: Operations
    querystring: Operations
    body: Operations


def _operations(config: Mapping[str, Any], target: str) -> Operations:
    return Operations(
        remove=parse_entries(config["remove"][target], names_only=True),
        rename=parse_entries(config["rename"][target]),
        replace=parse_entries(config["replace"][target]),
        add=parse_entries(config["add"][target]),
        append=parse_entries(config["append"][target]),
    )


class _Env:
    """Lazily gathered template sources for one request."""

    def __init__(self, kong: PDK) -> None:
        self._kong = kong
        self._tables: dict[str, Any] = {}

    def _table(self, source: str) -> Any:
        if source not in self._tables:
            kong = self._kong
            if source == "headers":
                self._tables[source] = kong.request.get_headers()
            elif source == "query_params":
                self._tables[source] = kong.request.get_query()
            elif source == "uri_captures":
                captures = kong.request.get_uri_captures()
                named = dict(captures.get("named") or {})
                for index, value in enumerate(captures.get("unnamed") or []):
                    named.setdefault(index, value)
                self._tables[source] = named
            else:
                self._tables[source] = kong.ctx.shared
        return self._tables[source]

    def lookup(self, source: str, key: str | int) -> Any:
        table = self._table(source)
        return table.get(key) if isinstance(table, Mapping) else None

    def render(self, template: Template) -> str:
        return template.render(self.lookup)


def _content_kind(content_type: str | None) -> str | None:
    lowered = (content_type or "").lower()
    if "application/json" in lowered:
        return "json"
    if "multipart/form-data" in lowered:
        return "multipart"
    if "application/x-www-form-urlencoded" in lowered:
        return "form"
    return None


def _decode_form(raw: bytes) -> Params:
    return _decode_pairs(raw.decode("utf-8", "replace"))


def _decode_pairs(text: str) -> Params:
    params: Params = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        params[name] = append_value(params[name], value) if name in params else value
    return params


def _upstream_query(kong: PDK) -> Params:
    """The query as earlier plugins left it (key-auth may have hidden a key), not the client's."""
    return _decode_pairs(kong.service.request.get_raw_query())


class Handler(Plugin[RequestTransformerConf]):
    NAME = "request-transformer"
    PRIORITY = 801
    VERSION = "3.4.0"
    CONFIG = CONFIG

    def prepare(self, config: Mapping[str, Any]) -> RequestTransformerConf:
        uri = config["replace"].get("uri")
        return RequestTransformerConf(
            http_method=(config.get("http_method") or "").upper() or None,
            uri=parse_template(uri) if uri else None,
            headers=_operations(config, "headers"),
            querystring=_operations(config, "querystring"),
            body=_operations(config, "body"),
        )

    async def access(self, kong: PDK, conf: RequestTransformerConf) -> None:
        env = _Env(kong)
        if conf.uri is not None:
            kong.service.request.set_path(env.render(conf.uri))
        if conf.http_method is not None:
            await _transform_method(kong, conf.http_method)
        if conf.headers:
            _transform_headers(kong, conf.headers, env)
        if conf.body:
            await _transform_body(kong, conf.body, env)
        if conf.querystring:
            query = _upstream_query(kong)
            if apply_operations(query, conf.querystring, env.render, has_content=True):
                kong.service.request.set_query(_as_query(query))


async def _transform_method(kong: PDK, method: str) -> None:
    kong.service.request.set_method(method)
    if method not in ("GET", "HEAD", "TRACE"):
        return
    if _content_kind(kong.request.get_header("content-type")) != "form":
        return
    parameters = _decode_form(await kong.request.get_raw_body())
    if not parameters:
        return
    query = _upstream_query(kong)
    for name, value in parameters.items():
        query[name] = value if name not in query else [*_as_list(query[name]), *_as_list(value)]
    kong.service.request.set_query(_as_query(query))


def _transform_headers(kong: PDK, ops: Operations, env: _Env) -> None:
    upstream = kong.service.request

    def present(name: str) -> bool:
        return upstream.get_header(name) is not None

    for entry in ops.remove:
        if entry.name.lower() != "host" and present(entry.name):
            upstream.clear_header(entry.name)
    for entry in ops.rename:
        new_name = env.render(entry.value) if entry.value is not None else ""
        value = upstream.get_header(entry.name)
        if not new_name or value is None or entry.name.lower() == "host":
            continue
        values = _current_values(kong, entry.name, value)
        upstream.clear_header(entry.name)
        upstream.set_header(new_name, values[0])
        for extra in values[1:]:
            upstream.add_header(new_name, extra)
    for entry in ops.replace:
        if entry.value is not None and (present(entry.name) or entry.name.lower() == "host"):
            upstream.set_header(entry.name, env.render(entry.value))
    for entry in ops.add:
        if entry.value is not None and entry.name.lower() != "host" and not present(entry.name):
            upstream.set_header(entry.name, env.render(entry.value))
    for entry in ops.append:
        if entry.value is None or entry.name.lower() == "host":
            continue
        if present(entry.name):
            upstream.add_header(entry.name, env.render(entry.value))
        else:
            upstream.set_header(entry.name, env.render(entry.value))


def _current_values(kong: PDK, name: str, first: str) -> list[str]:
    """All values of a header when the client's request still carries it unchanged, else the first one."""
    original = kong.request.get_headers().get(name.lower())
    if isinstance(original, list) and original and original[0] == first:
        return [str(v) for v in original]
    return [first]


async def _transform_body(kong: PDK, ops: Operations, env: _Env) -> None:
    kind = _content_kind(kong.request.get_header("content-type"))
    if kind is None:
        return
    raw = await kong.request.get_raw_body()
    if kind == "multipart":
        boundary = multipart.boundary_of(kong.request.get_header("content-type"))
        parts = multipart.parse(raw, boundary) if boundary is not None and raw else None
        if boundary is not None and parts is not None and multipart.transform(parts, ops, env.render):
            kong.service.request.set_raw_body(multipart.encode(parts, boundary))
        return
    if kind == "json":
        parameters: Any
        try:
            parameters = json.loads(raw) if raw else {}
        except ValueError:
            return
        if not isinstance(parameters, dict):
            return
        if apply_operations(parameters, ops, env.render, has_content=bool(raw)):
            kong.service.request.set_raw_body(json.dumps(parameters, separators=(",", ":")).encode())
        return
    form = _decode_form(raw)
    if apply_operations(form, ops, env.render, has_content=bool(raw)):
        kong.service.request.set_raw_body(urlencode(_as_query(form), doseq=True).encode())


def _as_list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _as_query(params: Params) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for name, value in params.items():
        out[name] = _as_list(value) if isinstance(value, list) else str(value)
    return out
