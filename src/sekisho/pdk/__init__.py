"""The Plugin Development Kit: the only surface plugins see (Kong's `kong.*` PDK, passed explicitly).

A handler receives `kong: PDK` and its prepared config. Names follow Kong's PDK (`kong.request.get_header`,
`kong.response.exit`, `kong.client.authenticate`, `kong.service.request.set_header`, ...) so a Kong plugin
author finds their way. The proxy implements these Protocols; plugins never import the proxy.

Phases: `rewrite` (global plugins only), `access`, `header_filter`, `body_filter`, `log`.
`kong.response.exit()` raises `ShortCircuit`, a `BaseException` so a plugin's `except Exception` cannot
swallow it; later access handlers are skipped, header_filter/body_filter/log still run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NoReturn, Protocol

__all__ = [
    "PDK",
    "Cache",
    "Client",
    "Ctx",
    "EntityReader",
    "Ip",
    "Log",
    "Node",
    "Request",
    "Response",
    "Router",
    "Service",
    "ServiceRequest",
    "ServiceResponse",
    "ShortCircuit",
]

Row = dict[str, Any]
Headers = Mapping[str, "str | list[str]"]


class ShortCircuit(BaseException):
    """Raised by `kong.response.exit`; only the pipeline catches it."""

    def __init__(self, status: int, body: bytes | str | Mapping[str, Any] | None, headers: Headers | None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers


class Request(Protocol):
    """kong.request: the request as the client sent it (read-only)."""

    def get_scheme(self) -> str: ...
    def get_host(self) -> str: ...
    def get_port(self) -> int: ...
    def get_forwarded_scheme(self) -> str: ...
    def get_forwarded_host(self) -> str: ...
    def get_forwarded_port(self) -> int: ...
    def get_forwarded_path(self) -> str: ...
    def get_forwarded_prefix(self) -> str | None: ...
    def get_http_version(self) -> float: ...
    def get_method(self) -> str: ...
    def get_path(self) -> str:
        """The normalized path, without the query string."""
        ...

    def get_raw_path(self) -> str: ...
    def get_path_with_query(self) -> str: ...
    def get_raw_query(self) -> str: ...
    def get_query_arg(self, name: str) -> str | None: ...
    def get_query(self, max_args: int = 100) -> dict[str, str | list[str]]: ...
    def get_header(self, name: str) -> str | None:
        """First value of a header, case-insensitive (underscores are not dashes)."""
        ...

    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]:
        """Lower-cased names; repeated headers as lists."""
        ...

    async def get_raw_body(self) -> bytes:
        """The whole body, buffered (bounded by `client_body_buffer_size`/`client_max_body_size`)."""
        ...

    async def get_body(self, mimetype: str | None = None) -> tuple[Any, str | None, str | None]:
        """Parsed body as (args, error, mimetype): JSON, form-urlencoded or multipart fields."""
        ...

    def get_uri_captures(self) -> dict[str, Any]:
        """Regex captures of the matched route: {"unnamed": [...], "named": {...}}."""
        ...

    def get_start_time(self) -> float:
        """Unix time (seconds, float) when the request started."""
        ...


class Response(Protocol):
    """kong.response: the response the client will get."""

    def get_status(self) -> int: ...
    def get_header(self, name: str) -> str | None: ...
    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]: ...
    def get_source(self) -> str:
        """`service` (proxied), `exit` (a plugin short-circuited) or `error`."""
        ...

    def set_status(self, status: int) -> None: ...
    def set_header(self, name: str, value: str | int) -> None: ...
    def add_header(self, name: str, value: str | int) -> None: ...
    def clear_header(self, name: str) -> None: ...
    def set_headers(self, headers: Headers) -> None: ...
    def exit(
        self, status: int, body: bytes | str | Mapping[str, Any] | None = None, headers: Headers | None = None
    ) -> NoReturn:
        """Stop processing and answer the client; a mapping body is sent as JSON."""
        ...

    def error(self, status: int, message: str | None = None, headers: Headers | None = None) -> NoReturn:
        """Like exit, with Kong's default message for the status in the `{"message": ...}` shape."""
        ...


class ServiceRequest(Protocol):
    """kong.service.request: the request sent upstream."""

    def set_scheme(self, scheme: str) -> None: ...
    def set_method(self, method: str) -> None: ...
    def set_path(self, path: str) -> None: ...
    def set_raw_query(self, query: str) -> None: ...
    def set_query(self, args: Mapping[str, str | list[str]]) -> None: ...
    def set_header(self, name: str, value: str | int) -> None: ...
    def add_header(self, name: str, value: str | int) -> None: ...
    def clear_header(self, name: str) -> None: ...
    def set_headers(self, headers: Headers) -> None: ...
    def set_raw_body(self, body: bytes) -> None: ...
    def get_raw_query(self) -> str:
        """The query string as it will be sent upstream (after earlier plugins' edits), without `?`."""
        ...

    def get_header(self, name: str) -> str | None:
        """The header as it will be sent upstream (after earlier plugins' edits)."""
        ...


class ServiceResponse(Protocol):
    """kong.service.response: the upstream's response (header_filter and later)."""

    def get_status(self) -> int | None: ...
    def get_header(self, name: str) -> str | None: ...
    def get_headers(self, max_headers: int = 100) -> dict[str, str | list[str]]: ...


class Service(Protocol):
    """kong.service: where the request goes."""

    request: ServiceRequest
    response: ServiceResponse

    def set_upstream(self, host: str) -> bool: ...
    def set_target(self, host: str, port: int) -> None: ...


class Client(Protocol):
    """kong.client: who is calling."""

    def get_ip(self) -> str:
        """The real client IP (after trusted_ips / real_ip_header processing)."""
        ...

    def get_forwarded_ip(self) -> str: ...
    def get_port(self) -> int: ...
    def get_forwarded_port(self) -> int: ...
    def get_protocol(self, allow_terminated: bool = False) -> str: ...
    def get_consumer(self) -> Row | None: ...
    def get_credential(self) -> Row | None: ...
    def authenticate(self, consumer: Row | None, credential: Row | None) -> None:
        """Record the authenticated consumer/credential; consumer-scoped plugin configs apply after this."""
        ...

    def authenticate_anonymous(self, consumer: Row) -> None:
        """Continue as the configured `anonymous` consumer (no credential; `X-Anonymous-Consumer: true` upstream)."""
        ...

    async def load_consumer(self, consumer_id: str, search_by_username: bool = False) -> Row | None: ...
    def peek_consumer(self, consumer_id: str, search_by_username: bool = False) -> tuple[bool, Row | None]:
        """What `load_consumer` would answer from the cache without loading: (found, row)."""
        ...


class Ctx(Protocol):
    """kong.ctx: `shared` across plugins of one request, `plugin` private to the running plugin."""

    shared: dict[str, Any]
    plugin: dict[str, Any]


class Log(Protocol):
    """kong.log: the node's error log, prefixed with the plugin name. Never pass secrets."""

    def debug(self, *parts: object) -> None: ...
    def info(self, *parts: object) -> None: ...
    def notice(self, *parts: object) -> None: ...
    def warn(self, *parts: object) -> None: ...
    def err(self, *parts: object) -> None: ...
    def crit(self, *parts: object) -> None: ...
    def serialize(self) -> dict[str, Any]:
        """The basic log serializer's table (request, response, route, service, consumer, latencies, ...)."""
        ...


class Router(Protocol):
    """kong.router: what matched."""

    def get_route(self) -> Row | None: ...
    def get_service(self) -> Row | None: ...


class Node(Protocol):
    def get_id(self) -> str: ...
    def get_hostname(self) -> str: ...
    def derive_secret(self, purpose: str) -> bytes:
        """A 32-byte secret for `purpose`, the same in every worker and every node sharing the database
        (derived from the cluster secret generated at bootstrap), for plugins that need to seal state."""
        ...


class Ip(Protocol):
    def is_trusted(self, address: str) -> bool: ...


class Cache(Protocol):
    """kong.cache: per-worker cache of entity lookups, invalidated when the entity named by `key[0]` changes.

    `key` is a tuple whose first element is an entity name (for example ("keyauth_credentials", key));
    any change to that entity drops its keys. `loader` may return None, which is cached too (negative
    caching) so unknown credentials do not hit the database on every request."""

    async def get(
        self, key: tuple[str, ...], loader: Callable[[], Awaitable[Any]], ttl: float | None = None
    ) -> Any: ...
    def invalidate(self, key: tuple[str, ...]) -> None: ...
    def peek(self, key: tuple[str, ...]) -> tuple[bool, Any]:
        """(True, value) when `key` holds a live value (None included: negative caching), else (False, None).
        Never loads: for synchronous fast paths (`Plugin.try_access`)."""
        ...


class EntityReader(Protocol):
    """Read access to one entity for plugins (core consumers, or plugin-owned credentials)."""

    async def select(self, ident: str) -> Row | None: ...
    async def select_by(self, field: str, value: Any) -> Row | None: ...
    async def each_for(self, field: str, foreign_id: str) -> list[Row]:
        """Rows whose foreign key `field` references `foreign_id` (e.g. a consumer's ACL groups)."""
        ...


class PDK(Protocol):
    """What a plugin phase handler gets as `kong`."""

    request: Request
    response: Response
    service: Service
    client: Client
    ctx: Ctx
    log: Log
    router: Router
    node: Node
    ip: Ip
    cache: Cache

    def db(self, entity: str) -> EntityReader: ...
