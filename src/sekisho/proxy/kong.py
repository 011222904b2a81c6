"""The PDK (`kong.*`) over an Exchange: what plugin phase handlers receive as `kong`.

One `Kong` object per request, created only when a plugin runs. `current` names the running plugin so
`kong.ctx.plugin` and `kong.log` are per plugin.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import parse_qsl, urlencode

from sekisho.pdk import (
    Cache,
    Client,
    Ctx,
    EntityReader,
    HeaderOp,
    Headers,
    Ip,
    Log,
    Node,
    PreparedHeaders,
    Request,
    Response,
    Router,
    Service,
    ServiceRequest,
    ServiceResponse,
    ShortCircuit,
)
from sekisho.pdk.levels import LogLevels
from sekisho.proxy.errors import BodyTooLarge, message_for
from sekisho.proxy.headers import HeaderEdits, header_map
from sekisho.router import normalize_path
from sekisho.utils.multivalue import collect_values

if TYPE_CHECKING:
    from sekisho.proxy.exchange import Exchange
    from sekisho.proxy.pipeline import Pipeline

__all__ = ["ErrorExit", "Kong", "serialize"]

Row = dict[str, Any]
_REDACTED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "apikey", "x-api-key"})


class ErrorExit(ShortCircuit):
    """`kong.response.error`: the body is `{"message": ...}` in the format `Accept` asks for."""

    def __init__(self, status: int, message: str, headers: Headers | None) -> None:
        super().__init__(status, None, headers)
        self.message = message


def _prepared(prepared: PreparedHeaders) -> HeaderEdits:
    if not isinstance(prepared, HeaderEdits):
        raise TypeError("apply_headers takes what prepare_headers returned")
    return prepared


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


def _query_dict(raw: str, max_args: int) -> dict[str, str | list[str]]:
    return collect_values(parse_qsl(raw, keep_blank_values=True), max_args)


def _multipart_fields(content_type: str, raw: bytes) -> dict[str, str | list[str]] | None:
    """Fields of a multipart/form-data body (file parts give their content as text, like Kong)."""
    if "boundary=" not in content_type:
        return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        return None
    fields: list[tuple[str, str]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            payload = b""
        fields.append((name, payload.decode(part.get_content_charset() or "utf-8", "replace")))
    return collect_values(fields)


class KongRequest:
    __slots__ = ("_ex", "_pipeline")

    def __init__(self, ex: Exchange, pipeline: Pipeline) -> None:
        self._ex = ex
        self._pipeline = pipeline

    def get_scheme(self) -> str:
        return self._ex.conn.scheme

    def get_host(self) -> str:
        host = self._ex.host.decode("latin-1")
        if host.startswith("["):
            return host.partition("]")[0] + "]"
        return host.rpartition(":")[0] if host.count(":") == 1 else host

    def get_port(self) -> int:
        return self._ex.conn.server_port

    def get_forwarded_scheme(self) -> str:
        return self._pipeline.forwarded(self._ex, b"x-forwarded-proto") or self.get_scheme()

    def get_forwarded_host(self) -> str:
        return self._pipeline.forwarded(self._ex, b"x-forwarded-host") or self.get_host()

    def get_forwarded_port(self) -> int:
        value = self._pipeline.forwarded(self._ex, b"x-forwarded-port")
        if value and value.isdigit():
            return int(value)
        return self.get_port()

    def get_forwarded_path(self) -> str:
        return self._pipeline.forwarded(self._ex, b"x-forwarded-path") or self.get_path()

    def get_forwarded_prefix(self) -> str | None:
        value = self._pipeline.forwarded(self._ex, b"x-forwarded-prefix")
        if value:
            return value
        match = self._ex.match
        return match.matched_prefix if match is not None else None

    def get_http_version(self) -> float:
        return 1.1 if self._ex.http_11 else 1.0

    def get_method(self) -> str:
        return self._ex.method_name()

    def get_path(self) -> str:
        return normalize_path(self.get_raw_path())  # RFC 3986 section 6, decoding only unreserved triplets

    def get_raw_path(self) -> str:
        return self._ex.path.decode("latin-1")

    def get_path_with_query(self) -> str:
        return self._ex.url.decode("latin-1")

    def get_raw_query(self) -> str:
        return self._ex.query.decode("latin-1")

    def get_query_arg(self, name: str) -> str | None:
        value = self.get_query(0).get(name)
        if isinstance(value, list):
            return value[0]
        return value

    def get_query(self, max_args: int = 100) -> dict[str, str | list[str]]:
        return _query_dict(self.get_raw_query(), max_args)

    def get_header(self, name: str) -> str | None:
        return self._ex.header(name.lower())

    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]:
        return self._ex.headers_dict(max_headers)

    async def get_raw_body(self) -> bytes:
        return await self._ex.read_body()

    async def get_body(self, mimetype: str | None = None) -> tuple[Any, str | None, str | None]:
        content_type = (mimetype or self.get_header("content-type") or "").split(";")[0].strip().lower()
        try:
            raw = await self.get_raw_body()
        except BodyTooLarge as exc:
            return None, str(exc), content_type or None
        if content_type == "application/json":
            try:
                return json.loads(raw or b"null"), None, content_type
            except ValueError:
                return None, "failed to decode JSON body", content_type
        if content_type == "application/x-www-form-urlencoded":
            return _query_dict(raw.decode("utf-8", "replace"), 100), None, content_type
        if content_type == "multipart/form-data":
            header = mimetype if mimetype and "boundary=" in mimetype else self.get_header("content-type") or ""
            fields = _multipart_fields(header, raw)
            if fields is None:
                return None, "failed to decode multipart body", content_type
            return fields, None, content_type
        return None, "missing content type" if not content_type else "unsupported content type", content_type or None

    def get_uri_captures(self) -> dict[str, Any]:
        match = self._ex.match
        captures = match.uri_captures if match is not None else None
        if not captures:
            return {"unnamed": [], "named": {}}
        return {"unnamed": list(captures.get("unnamed") or []), "named": dict(captures.get("named") or {})}

    def get_start_time(self) -> float:
        return self._ex.start_time


class KongResponse:
    __slots__ = ("_ex",)

    def __init__(self, ex: Exchange) -> None:
        self._ex = ex

    def _edits(self) -> HeaderEdits:
        if self._ex.head_sent:
            raise RuntimeError("response headers were already sent")
        edits = self._ex.resp_edits
        if edits is None:
            edits = self._ex.resp_edits = HeaderEdits()
        return edits

    def get_status(self) -> int:
        return self._ex.status or 200

    def get_header(self, name: str) -> str | None:
        return _text(self._ex.response_header(name.lower().encode("latin-1")))

    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]:
        return header_map(self._ex.response_headers(), max_headers)

    def get_source(self) -> str:
        return self._ex.response_source

    def set_status(self, status: int) -> None:
        if self._ex.head_sent:
            raise RuntimeError("response headers were already sent")
        self._ex.status = status

    def set_header(self, name: str, value: str | int) -> None:
        self._edits().set(name, value)

    def add_header(self, name: str, value: str | int) -> None:
        self._edits().add(name, value)

    def clear_header(self, name: str) -> None:
        self._edits().clear(name)

    def set_headers(self, headers: Headers) -> None:
        self._edits().set_many(headers)

    def prepare_headers(self, ops: Iterable[HeaderOp]) -> PreparedHeaders:
        return HeaderEdits.prepared(ops)

    def apply_headers(self, prepared: PreparedHeaders) -> None:
        self._edits().merge(_prepared(prepared))

    def exit(
        self, status: int, body: bytes | str | Mapping[str, Any] | None = None, headers: Headers | None = None
    ) -> NoReturn:
        raise ShortCircuit(status, body, headers)

    def error(self, status: int, message: str | None = None, headers: Headers | None = None) -> NoReturn:
        raise ErrorExit(status, message if message is not None else message_for(status), headers)


class KongServiceRequest:
    __slots__ = ("_ex",)

    def __init__(self, ex: Exchange) -> None:
        self._ex = ex

    def _edits(self) -> HeaderEdits:
        edits = self._ex.service_edits
        if edits is None:
            edits = self._ex.service_edits = HeaderEdits()
        return edits

    def set_scheme(self, scheme: str) -> None:
        if scheme not in ("http", "https"):
            raise ValueError("invalid scheme: " + scheme)
        self._ex.upstream_scheme = scheme

    def set_method(self, method: str) -> None:
        if not method.isalpha():
            raise ValueError("invalid method")
        self._ex.upstream_method = method.upper().encode("ascii")

    def set_path(self, path: str) -> None:
        if not path.startswith("/") or any(c in path for c in " \r\n?#"):
            raise ValueError("path must start with / and contain no query")
        self._ex.upstream_path = path

    def set_raw_query(self, query: str) -> None:
        if any(c in query for c in " \r\n#"):
            raise ValueError("invalid query")
        self._ex.upstream_query = query.encode("latin-1")

    def set_query(self, args: Mapping[str, str | list[str]]) -> None:
        self._ex.upstream_query = urlencode(list(args.items()), doseq=True).encode("latin-1")

    def set_header(self, name: str, value: str | int) -> None:
        lowered = name.lower()
        if lowered == "host":
            self._ex.upstream_host_header = str(value)
            return
        self._edits().set(name, value)

    def add_header(self, name: str, value: str | int) -> None:
        self._edits().add(name, value)

    def clear_header(self, name: str) -> None:
        self._edits().clear(name)

    def prepare_headers(self, ops: Iterable[HeaderOp]) -> PreparedHeaders:
        listed = list(ops)
        if any(name.lower() == "host" for _, name, _ in listed):
            raise ValueError("Host cannot be prepared: use set_header")
        return HeaderEdits.prepared(listed)

    def apply_headers(self, prepared: PreparedHeaders) -> None:
        self._edits().merge(_prepared(prepared))

    def set_headers(self, headers: Headers) -> None:
        for name, value in headers.items():
            if isinstance(value, list):
                self._edits().set(name, value)
            else:
                self.set_header(name, value)

    def set_raw_body(self, body: bytes) -> None:
        self._ex.replaced_body = bytes(body)

    def get_raw_query(self) -> str:
        query = self._ex.upstream_query
        return (query if query is not None else self._ex.query).decode("latin-1")

    def get_header(self, name: str) -> str | None:
        lowered = name.lower().encode("latin-1")
        edits = self._ex.service_edits
        if edits is not None:
            return _text(edits.get(lowered, self._ex.headers))
        return self._ex.header(name.lower())


class KongServiceResponse:
    __slots__ = ("_ex",)

    def __init__(self, ex: Exchange) -> None:
        self._ex = ex

    def get_status(self) -> int | None:
        ex = self._ex
        return ex.resp_status if ex.response_source == "service" and ex.resp_status else None

    def get_header(self, name: str) -> str | None:
        if self._ex.response_source != "service":
            return None
        wanted = name.lower().encode("latin-1")
        for key, value in self._ex.resp_headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]:
        if self._ex.response_source != "service":
            return {}
        return header_map(self._ex.resp_headers, max_headers)


class KongService:
    __slots__ = ("_ex", "_request", "_response")

    def __init__(self, ex: Exchange) -> None:
        self._ex = ex
        self._request: KongServiceRequest | None = None
        self._response: KongServiceResponse | None = None

    @property
    def request(self) -> ServiceRequest:
        found = self._request
        if found is None:
            found = self._request = KongServiceRequest(self._ex)
        return found

    @property
    def response(self) -> ServiceResponse:
        found = self._response
        if found is None:
            found = self._response = KongServiceResponse(self._ex)
        return found

    def set_upstream(self, host: str) -> bool:
        snapshot = self._ex.snapshot
        balancer = snapshot.balancer_for(host) if snapshot is not None else None
        if balancer is None:
            return False
        self._ex.balancer = balancer
        self._ex.upstream_host = host
        return True

    def set_target(self, host: str, port: int) -> None:
        if not 0 < port < 65536:
            raise ValueError("invalid port")
        self._ex.balancer = None
        self._ex.upstream_host = host
        self._ex.upstream_port = port


class KongClient:
    __slots__ = ("_ex", "_pipeline")

    def __init__(self, ex: Exchange, pipeline: Pipeline) -> None:
        self._ex = ex
        self._pipeline = pipeline

    def get_ip(self) -> str:
        return self._ex.real_ip

    def get_forwarded_ip(self) -> str:
        return self._ex.real_ip

    def get_port(self) -> int:
        return self._ex.conn.peer_port

    def get_forwarded_port(self) -> int:
        return self._ex.conn.peer_port

    def get_protocol(self, allow_terminated: bool = False) -> str:
        if allow_terminated:
            forwarded = self._pipeline.forwarded(self._ex, b"x-forwarded-proto")
            if forwarded in ("http", "https"):
                return forwarded
        return self._ex.conn.scheme

    def get_consumer(self) -> Row | None:
        return self._ex.consumer

    def get_credential(self) -> Row | None:
        return self._ex.credential

    def authenticate(self, consumer: Row | None, credential: Row | None) -> None:
        self._pipeline.authenticate(self._ex, consumer, credential, anonymous=False)

    def authenticate_anonymous(self, consumer: Row) -> None:
        """Continue as the configured `anonymous` consumer (sets `X-Anonymous-Consumer: true` upstream)."""
        self._pipeline.authenticate(self._ex, consumer, None, anonymous=True)

    async def load_consumer(self, consumer_id: str, search_by_username: bool = False) -> Row | None:
        return await self._pipeline.load_consumer(consumer_id, search_by_username)

    def peek_consumer(self, consumer_id: str, search_by_username: bool = False) -> tuple[bool, Row | None]:
        return self._pipeline.runtime.cache.peek(consumer_cache_key(consumer_id, search_by_username))


def consumer_cache_key(consumer_id: str, search_by_username: bool) -> tuple[str, ...]:
    return ("consumers", "by_username" if search_by_username else "by_id", consumer_id)


class KongCtx:
    __slots__ = ("_ex",)

    def __init__(self, ex: Exchange) -> None:
        self._ex = ex

    @property
    def shared(self) -> dict[str, Any]:
        shared = self._ex.ctx_shared
        if shared is None:
            shared = self._ex.ctx_shared = {}
        return shared

    @shared.setter
    def shared(self, value: dict[str, Any]) -> None:
        self._ex.ctx_shared = value

    @property
    def plugin(self) -> dict[str, Any]:
        per_plugin = self._ex.ctx_plugin
        if per_plugin is None:
            per_plugin = self._ex.ctx_plugin = {}
        name = self._ex.current_plugin
        found = per_plugin.get(name)
        if found is None:
            found = per_plugin[name] = {}
        return found

    @plugin.setter
    def plugin(self, value: dict[str, Any]) -> None:
        per_plugin = self._ex.ctx_plugin
        if per_plugin is None:
            per_plugin = self._ex.ctx_plugin = {}
        per_plugin[self._ex.current_plugin] = value


class KongLog(LogLevels):
    __slots__ = ("_ex", "_pipeline")

    def __init__(self, ex: Exchange, pipeline: Pipeline) -> None:
        self._ex = ex
        self._pipeline = pipeline

    def _emit(self, level: int, parts: tuple[object, ...]) -> None:
        current = self._ex.current_plugin
        logger = logging.getLogger(f"sekisho.plugins.{current or 'core'}")
        if logger.isEnabledFor(level):
            logger.log(level, "[%s] %s", current, "".join(str(p) for p in parts))

    def serialize(self) -> dict[str, Any]:
        return serialize(self._ex, self._pipeline)


class KongRouter:
    __slots__ = ("_ex",)

    def __init__(self, ex: Exchange) -> None:
        self._ex = ex

    def get_route(self) -> Row | None:
        return self._ex.route

    def get_service(self) -> Row | None:
        return self._ex.service


class KongNode:
    __slots__ = ("_hostname", "_id", "_secret")

    def __init__(self, node_id: str, hostname: str, cluster_secret: bytes) -> None:
        self._id = node_id
        self._hostname = hostname
        self._secret = cluster_secret

    def derive_secret(self, purpose: str) -> bytes:
        return hmac.new(self._secret, b"sekisho-derive:" + purpose.encode(), hashlib.sha256).digest()

    def get_id(self) -> str:
        return self._id

    def get_hostname(self) -> str:
        return self._hostname


class KongIp:
    __slots__ = ("_pipeline",)

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    def is_trusted(self, address: str) -> bool:
        return self._pipeline.trusted.is_trusted(address)


class Kong:
    """Implements `sekisho.pdk.PDK` for one request.

    Each `kong.*` namespace is built on first use: most requests touch two or three of them."""

    __slots__ = (
        "_client",
        "_ctx",
        "_ex",
        "_ip",
        "_log",
        "_pipeline",
        "_request",
        "_response",
        "_router",
        "_service",
        "cache",
        "node",
    )

    def __init__(self, ex: Exchange, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._ex = ex
        self.node: Node = pipeline.node
        self.cache: Cache = pipeline.runtime.cache
        self._request: KongRequest | None = None
        self._response: KongResponse | None = None
        self._service: KongService | None = None
        self._client: KongClient | None = None
        self._ctx: KongCtx | None = None
        self._log: KongLog | None = None
        self._router: KongRouter | None = None
        self._ip: KongIp | None = None

    @property
    def request(self) -> Request:
        found = self._request
        if found is None:
            found = self._request = KongRequest(self._ex, self._pipeline)
        return found

    @property
    def response(self) -> Response:
        found = self._response
        if found is None:
            found = self._response = KongResponse(self._ex)
        return found

    @property
    def service(self) -> Service:
        found = self._service
        if found is None:
            found = self._service = KongService(self._ex)
        return found

    @property
    def client(self) -> Client:
        found = self._client
        if found is None:
            found = self._client = KongClient(self._ex, self._pipeline)
        return found

    @property
    def ctx(self) -> Ctx:
        found = self._ctx
        if found is None:
            found = self._ctx = KongCtx(self._ex)
        return found

    @property
    def log(self) -> Log:
        found = self._log
        if found is None:
            found = self._log = KongLog(self._ex, self._pipeline)
        return found

    @property
    def router(self) -> Router:
        found = self._router
        if found is None:
            found = self._router = KongRouter(self._ex)
        return found

    @property
    def ip(self) -> Ip:
        found = self._ip
        if found is None:
            found = self._ip = KongIp(self._pipeline)
        return found

    @property
    def current(self) -> str:
        """The plugin whose phase runs now (kong.ctx.plugin and kong.log are per plugin)."""
        return self._ex.current_plugin

    @current.setter
    def current(self, name: str) -> None:
        self._ex.current_plugin = name

    def db(self, entity: str) -> EntityReader:
        return self._pipeline.runtime.entity_reader(entity)


def _redact(headers: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
    for name in _REDACTED_HEADERS.intersection(headers):
        headers[name] = "REDACTED"
    return headers


def serialize(ex: Exchange, pipeline: Pipeline) -> dict[str, Any]:
    """Kong's basic log serializer (kong/pdk/log.lua `serialize`), with credentials-bearing headers redacted."""
    conn = ex.conn
    start = ex.start
    end = ex.end or conn.loop.time()
    upstream_ms = int((ex.upstream_first_byte - ex.upstream_start) * 1000) if ex.upstream_first_byte else -1
    kong_ms = int(((ex.upstream_start or end) - start) * 1000)
    uri = ex.url.decode("latin-1")
    query = ex.query.decode("latin-1") if ex.query else ""
    edits = ex.resp_edits
    response_headers = list(edits.apply(ex.resp_headers)) if edits else ex.resp_headers
    record: dict[str, Any] = {
        "request": {
            "uri": uri,
            "url": f"{conn.scheme}://{ex.host.decode('latin-1') or conn.local_ip}{uri}",
            "querystring": _query_dict(query, 100) if query else {},
            "method": ex.method.decode("latin-1"),
            "headers": _redact(header_map(ex.headers, 100)),
            "size": ex.body_received,
        },
        "upstream_uri": (ex.upstream_path + ("?" + query if query else "")) if ex.route is not None else "",
        "response": {
            "status": ex.status,
            "headers": _redact(header_map(response_headers, 100)),
            "size": conn.bytes_sent_for(ex),
        },
        "latencies": {"kong": kong_ms, "proxy": upstream_ms, "request": int((end - start) * 1000)},
        "tries": [],
        "client_ip": ex.real_ip,
        "started_at": int(ex.start_time * 1000),
        "source": ex.response_source,
    }
    # Copies: the rows belong to the shared snapshot, and log consumers may edit what they receive.
    if ex.route is not None:
        record["route"] = dict(ex.route)
    if ex.service is not None:
        record["service"] = dict(ex.service)
    if ex.consumer is not None:
        record["consumer"] = dict(ex.consumer)
        record["authenticated_entity"] = {"id": (ex.credential or {}).get("id")} if ex.credential else None
    return record
