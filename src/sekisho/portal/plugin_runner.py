"""Runs a gateway auth plugin (`basic-auth`, `key-auth`, `openid-connect`) on a portal request, as Kong's
portal does: the plugin's access phase sees the PDK implemented here over a Starlette request, and its
outcome (short-circuit response, authenticated consumer, headers, cookies) is collected for the portal."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from sekisho import pdk
from sekisho.pdk import PDK, Headers, ShortCircuit
from sekisho.pdk.levels import LogLevels
from sekisho.pdk.worker import WorkerNode
from sekisho.plugins.base import Plugin
from sekisho.runtime.entity_reader import DatabaseEntityReader
from sekisho.store.base import Database
from sekisho.utils.multivalue import collect_values

__all__ = ["AuthOutcome", "PortalKong", "exit_response", "run_access"]

log = logging.getLogger("sekisho.portal.auth")
Row = dict[str, Any]

_MESSAGES = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 500: "An unexpected error occurred"}


class _ErrorExit(ShortCircuit):
    def __init__(self, status: int, message: str, headers: Headers | None) -> None:
        super().__init__(status, {"message": message}, headers)


@dataclass(frozen=True)
class _PreparedOps:
    """The portal's prepared headers: the edits as given, done one by one (no hot path here)."""

    ops: tuple[pdk.HeaderOp, ...]

    def apply(self, target: _Response | _ServiceRequest) -> None:
        for op, name, value in self.ops:
            if op == "set":
                target.set_header(name, value)
            elif op == "add":
                target.add_header(name, value)
            else:
                target.clear_header(name)


def _prepared_ops(ops: Iterable[pdk.HeaderOp]) -> _PreparedOps:
    listed = tuple(ops)
    for op, _, _ in listed:
        if op not in ("set", "add", "clear"):
            raise ValueError(f"unknown header edit {op!r}")
    return _PreparedOps(listed)


def _applied(prepared: pdk.PreparedHeaders) -> _PreparedOps:
    if not isinstance(prepared, _PreparedOps):
        raise TypeError("apply_headers takes what prepare_headers returned")
    return prepared


def _header_lists(items: list[tuple[str, str]], max_headers: int) -> dict[str, str | list[str]]:
    return collect_values(((name.lower(), value) for name, value in items), max_headers)


class _Request:
    def __init__(self, request: Request, body: bytes) -> None:
        self._r = request
        self._body = body
        self._started = time.time()

    def get_scheme(self) -> str:
        return self._r.url.scheme

    def get_host(self) -> str:
        return self._r.url.hostname or ""

    def get_port(self) -> int:
        return self._r.url.port or (443 if self._r.url.scheme == "https" else 80)

    get_forwarded_scheme = get_scheme
    get_forwarded_host = get_host
    get_forwarded_port = get_port

    def get_forwarded_path(self) -> str:
        return self._r.url.path

    def get_forwarded_prefix(self) -> str | None:
        return None

    def get_http_version(self) -> float:
        return float(self._r.scope.get("http_version", "1.1"))

    def get_method(self) -> str:
        return self._r.method

    def get_path(self) -> str:
        return self._r.url.path

    def get_raw_path(self) -> str:
        return self._r.scope.get("raw_path", b"").decode("latin-1") or self._r.url.path

    def get_path_with_query(self) -> str:
        query = self.get_raw_query()
        return self._r.url.path + (f"?{query}" if query else "")

    def get_raw_query(self) -> str:
        return str(self._r.scope.get("query_string", b"").decode("latin-1"))

    def get_query_arg(self, name: str) -> str | None:
        for key, value in parse_qsl(self.get_raw_query(), keep_blank_values=True):
            if key == name:
                return value
        return None

    def get_query(self, max_args: int = 100) -> dict[str, str | list[str]]:
        return _header_lists(parse_qsl(self.get_raw_query(), keep_blank_values=True), max_args)

    def get_header(self, name: str) -> str | None:
        return self._r.headers.get(name)

    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]:
        return _header_lists(list(self._r.headers.items()), max_headers)

    async def get_raw_body(self) -> bytes:
        return self._body

    async def get_body(self, mimetype: str | None = None) -> tuple[Any, str | None, str | None]:
        content_type = (mimetype or self._r.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                return json.loads(self._body or b"null"), None, content_type
            except ValueError:
                return None, "invalid JSON body", content_type
        if content_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(self._body.decode("utf-8", "replace"), keep_blank_values=True)
            return _header_lists(pairs, 100), None, content_type
        return None, "unsupported content type", content_type or None

    def get_uri_captures(self) -> dict[str, Any]:
        return {"unnamed": [], "named": {}}

    def get_start_time(self) -> float:
        return self._started


class _Response:
    def __init__(self, outcome: AuthOutcome) -> None:
        self._o = outcome

    def get_status(self) -> int:
        return 200

    def get_header(self, name: str) -> str | None:
        for key, value in self._o.response_headers:
            if key.lower() == name.lower():
                return value
        return None

    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]:
        return _header_lists(self._o.response_headers, max_headers)

    def get_source(self) -> str:
        return "exit"

    def set_status(self, status: int) -> None:
        return None

    def set_header(self, name: str, value: str | int) -> None:
        self.clear_header(name)
        self.add_header(name, value)

    def add_header(self, name: str, value: str | int) -> None:
        self._o.response_headers.append((name, str(value)))

    def clear_header(self, name: str) -> None:
        self._o.response_headers[:] = [(k, v) for k, v in self._o.response_headers if k.lower() != name.lower()]

    def set_headers(self, headers: Headers) -> None:
        for name, value in headers.items():
            self.set_header(name, value if isinstance(value, str) else ", ".join(value))

    def prepare_headers(self, ops: Iterable[pdk.HeaderOp]) -> pdk.PreparedHeaders:
        return _prepared_ops(ops)

    def apply_headers(self, prepared: pdk.PreparedHeaders) -> None:
        _applied(prepared).apply(self)

    def exit(
        self, status: int, body: bytes | str | Mapping[str, Any] | None = None, headers: Headers | None = None
    ) -> NoReturn:
        raise ShortCircuit(status, body, headers)

    def error(self, status: int, message: str | None = None, headers: Headers | None = None) -> NoReturn:
        raise _ErrorExit(status, message or _MESSAGES.get(status, "An unexpected error occurred"), headers)


class _ServiceRequest:
    """What the plugin would send upstream; the portal reads the headers it set (e.g. claims)."""

    def __init__(self, outcome: AuthOutcome) -> None:
        self._o = outcome

    def set_scheme(self, scheme: str) -> None: ...
    def set_method(self, method: str) -> None: ...
    def set_path(self, path: str) -> None: ...
    def set_raw_query(self, query: str) -> None: ...
    def set_query(self, args: Mapping[str, str | list[str]]) -> None: ...
    def set_raw_body(self, body: bytes) -> None: ...

    def set_header(self, name: str, value: str | int) -> None:
        self._o.upstream_headers[name.lower()] = str(value)

    add_header = set_header

    def clear_header(self, name: str) -> None:
        self._o.upstream_headers.pop(name.lower(), None)

    def set_headers(self, headers: Headers) -> None:
        for name, value in headers.items():
            self.set_header(name, value if isinstance(value, str) else ", ".join(value))

    def prepare_headers(self, ops: Iterable[pdk.HeaderOp]) -> pdk.PreparedHeaders:
        return _prepared_ops(ops)

    def apply_headers(self, prepared: pdk.PreparedHeaders) -> None:
        _applied(prepared).apply(self)

    def get_header(self, name: str) -> str | None:
        return self._o.upstream_headers.get(name.lower())

    def get_raw_query(self) -> str:
        return ""


class _ServiceResponse:
    def get_status(self) -> int | None:
        return None

    def get_header(self, name: str) -> str | None:
        return None

    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]:
        return {}


class _Service:
    def __init__(self, outcome: AuthOutcome) -> None:
        self.request: pdk.ServiceRequest = _ServiceRequest(outcome)
        self.response: pdk.ServiceResponse = _ServiceResponse()

    def set_upstream(self, host: str) -> bool:
        return False

    def set_target(self, host: str, port: int) -> None: ...


class _Client:
    def __init__(self, request: Request, outcome: AuthOutcome, db: Database) -> None:
        self._r = request
        self._o = outcome
        self._db = db

    def get_ip(self) -> str:
        return self._r.client.host if self._r.client else ""

    get_forwarded_ip = get_ip

    def get_port(self) -> int:
        return self._r.client.port if self._r.client else 0

    get_forwarded_port = get_port

    def get_protocol(self, allow_terminated: bool = False) -> str:
        return self._r.url.scheme

    def get_consumer(self) -> Row | None:
        return self._o.consumer

    def get_credential(self) -> Row | None:
        return self._o.credential

    def authenticate(self, consumer: Row | None, credential: Row | None) -> None:
        self._o.consumer = consumer
        self._o.credential = credential

    def authenticate_anonymous(self, consumer: Row) -> None:
        self._o.consumer = None
        self._o.credential = None

    async def load_consumer(self, consumer_id: str, search_by_username: bool = False) -> Row | None:
        row = await self._db.select("consumers", consumer_id)
        if row is None and search_by_username:
            row = await self._db.select_by("consumers", "username", consumer_id)
        return row

    def peek_consumer(self, consumer_id: str, search_by_username: bool = False) -> tuple[bool, Row | None]:
        return False, None


class _Ctx:
    def __init__(self) -> None:
        self.shared: dict[str, Any] = {}
        self.plugin: dict[str, Any] = {}


class _Log(LogLevels):
    def __init__(self, name: str) -> None:
        self._prefix = f"[{name}] "

    def _emit(self, level: int, parts: tuple[object, ...]) -> None:
        log.log(level, "%s%s", self._prefix, "".join(str(p) for p in parts))

    def serialize(self) -> dict[str, Any]:
        return {}


class _Router:
    def get_route(self) -> Row | None:
        return None

    def get_service(self) -> Row | None:
        return None


# One node per (id, secret), so `kong.node.get_id()` stays the same across requests as in the proxy, even
# when the portal runs without a node id (tests), where WorkerNode picks a random one.
@functools.lru_cache(maxsize=8)
def _portal_node(node_id: str, secret: bytes) -> WorkerNode:
    return WorkerNode(node_id, None, secret)


class _Ip:
    def is_trusted(self, address: str) -> bool:
        return False


class _Cache:
    """No caching: the portal must see developer and credential changes at once."""

    async def get(self, key: tuple[str, ...], loader: Callable[[], Awaitable[Any]], ttl: float | None = None) -> Any:
        return await loader()

    def invalidate(self, key: tuple[str, ...]) -> None:
        return None

    def peek(self, key: tuple[str, ...]) -> tuple[bool, Any]:
        return False, None


@dataclass(slots=True)
class AuthOutcome:
    """What running the plugin produced."""

    exit: ShortCircuit | None = None
    consumer: Row | None = None
    credential: Row | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    upstream_headers: dict[str, str] = field(default_factory=dict)

    @property
    def cookies(self) -> list[str]:
        return [v for k, v in self.response_headers if k.lower() == "set-cookie"]


class PortalKong:
    """The PDK given to the plugin (structurally a `sekisho.pdk.PDK`)."""

    def __init__(
        self, request: Request, body: bytes, db: Database, outcome: AuthOutcome, *, plugin: str, node: pdk.Node
    ) -> None:
        self.request: pdk.Request = _Request(request, body)
        self.response: pdk.Response = _Response(outcome)
        self.service: pdk.Service = _Service(outcome)
        self.client: pdk.Client = _Client(request, outcome, db)
        self.ctx: pdk.Ctx = _Ctx()
        self.log: pdk.Log = _Log(plugin)
        self.router: pdk.Router = _Router()
        self.node: pdk.Node = node
        self.ip: pdk.Ip = _Ip()
        self.cache: pdk.Cache = _Cache()
        self._db = db

    def db(self, entity: str) -> pdk.EntityReader:
        return DatabaseEntityReader(self._db, entity)


MAX_AUTH_BODY = 64 * 1024


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None when it exceeds `MAX_AUTH_BODY` (login forms and callbacks are small)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_AUTH_BODY):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_AUTH_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def run_access(
    plugin: Plugin[Any],
    prepared: Any,
    request: Request,
    db: Database,
    *,
    secret: bytes,
    node_id: str = "",
    read_body: bool = True,
) -> AuthOutcome:
    """Run `plugin.access` once; a short-circuit is recorded in `outcome.exit`, never raised.

    With `read_body=False` the plugin sees an empty body and the request's body is left for the handler."""
    wants_body = read_body and request.method in ("POST", "PUT", "PATCH")
    body = await _bounded_body(request) if wants_body else b""
    if body is None:
        outcome = AuthOutcome(exit=ShortCircuit(413, {"message": "Request size limit exceeded"}, None))
        return outcome
    outcome = AuthOutcome()
    kong: PDK = PortalKong(request, body, db, outcome, plugin=plugin.NAME, node=_portal_node(node_id, secret))
    try:
        await plugin.access(kong, prepared)
    except ShortCircuit as stop:
        outcome.exit = stop
    return outcome


def exit_response(stop: ShortCircuit, extra_headers: Sequence[tuple[str, str]] = ()) -> Response:
    """The plugin's short-circuit as an HTTP response (JSON for mapping bodies), with its headers."""
    body = stop.body
    media_type = None
    if isinstance(body, Mapping):
        content: bytes | str = json.dumps(dict(body))
        media_type = "application/json; charset=utf-8"
    elif body is None:
        content = b""
    else:
        content = body
    response = Response(content, status_code=stop.status, media_type=media_type)
    for extra_name, extra_value in extra_headers:
        response.headers.append(extra_name, extra_value)
    for name, value in (stop.headers or {}).items():
        items: list[str] = [value] if isinstance(value, str) else list(value)
        for item in items:
            response.headers.append(name, str(item))
    return response
