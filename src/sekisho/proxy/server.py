"""The proxy listener: an asyncio.Protocol per client connection, fed by httptools.

HTTP/1.1 with keep-alive and pipelining (responses in request order), streamed bodies both ways with flow
control (`pause_reading` when a buffer passes the high-water mark), request limits (414, 494, 413),
header/body/keep-alive timeouts, TLS with SNI-selected certificates, and WebSocket passthrough.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from typing import Any, cast

import httptools

from sekisho.proxy.exchange import Exchange
from sekisho.proxy.headers import IDENTITY_HEADERS
from sekisho.proxy.pipeline import AccessLogHook, Pipeline
from sekisho.proxy.settings import ListenSpec, ProxySettings
from sekisho.runtime.certificates import server_context
from sekisho.runtime.runtime import Runtime

__all__ = ["ClientProtocol", "ProxyServer"]

logger = logging.getLogger("sekisho.proxy")

_MAX_PIPELINED = 32
_MAX_DRAIN = 1024 * 1024  # request body bytes read and dropped after an early answer before closing instead
_DRAIN_TIMEOUT = 5.0


class _LimitExceeded(Exception):
    """Stops the parser when a request line or header passes a limit."""


class ClientProtocol(asyncio.Protocol):
    PAUSE_BODY = 1
    PAUSE_UPSTREAM = 2
    PAUSE_PIPELINE = 4

    __slots__ = (
        "_draining",
        "_header_bytes",
        "_header_count",
        "_next_pending",
        "_parser",
        "_paused",
        "_queue",
        "_upgraded",
        "_upgrading",
        "active",
        "bytes_written",
        "client_ip_headers",
        "closed",
        "closing",
        "current",
        "deadline",
        "forwarded_headers",
        "last_host",
        "last_host_only",
        "local_ip",
        "loop",
        "peer_ip",
        "peer_port",
        "pipeline",
        "requests",
        "scheme",
        "scheme_bytes",
        "server",
        "server_port",
        "server_port_bytes",
        "settings",
        "sni",
        "transport",
        "write_paused",
    )

    def __init__(self, server: ProxyServer, tls: bool) -> None:
        self.server = server
        self.pipeline = server.pipeline
        self.settings = server.settings
        self.loop = server.loop
        self.scheme = "https" if tls else "http"
        self.scheme_bytes = self.scheme.encode()
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self.current: Exchange | None = None
        self.active: Exchange | None = None
        self._queue: collections.deque[Exchange] = collections.deque()
        self._draining: Exchange | None = None
        self._next_pending = False
        self._paused = 0
        self._upgraded = False
        self._upgrading: Exchange | None = None
        self._header_bytes = 0
        self._header_count = 0
        self.write_paused = False
        self.closed = False
        self.closing = False
        self.requests = 0
        self.bytes_written = 0
        self.deadline = 0.0
        self.peer_ip = ""
        self.peer_port = 0
        self.local_ip = ""
        self.server_port = 0
        self.server_port_bytes = b"0"
        self.sni: str | None = None
        self.client_ip_headers = b""
        self.forwarded_headers = b""
        self.last_host = b"\x00"  # X-Forwarded-Host of the previous request (a connection keeps its Host)
        self.last_host_only = b""

    # -- asyncio.Protocol -------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it: cast, do not assert.
        transport = self.transport = cast(asyncio.Transport, transport)
        transport.set_write_buffer_limits(high=self.settings.high_water)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self.peer_ip, self.peer_port = str(peer[0]), int(peer[1])
            if self.peer_ip.startswith("::ffff:"):
                self.peer_ip = self.peer_ip[7:]
        local = transport.get_extra_info("sockname")
        if isinstance(local, tuple):
            self.local_ip, self.server_port = str(local[0]), int(local[1])
            self.server_port_bytes = str(self.server_port).encode()
        peer_ip = self.peer_ip.encode("latin-1")
        self.client_ip_headers = b"X-Real-IP: " + peer_ip + b"\r\nX-Forwarded-For: " + peer_ip + b"\r\n"
        self.forwarded_headers = (
            b"X-Forwarded-Proto: " + self.scheme_bytes + b"\r\nX-Forwarded-Port: " + self.server_port_bytes + b"\r\n"
        )
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self.sni = getattr(ssl_object, "sekisho_sni", None) or self.server.sni_of(ssl_object)
        self.deadline = self.loop.time() + self.settings.header_read_timeout
        self.server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._upgraded:
            self._tunnel_to_upstream(data)
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            self._upgraded = True
            ex = self._queue[-1] if self._queue else self.active  # the upgrading request is the last parsed
            self._upgrading = ex
            rest = data[int(upgrade.args[0]) :]
            if ex is not None and rest:
                ex.tunnel_pending = (ex.tunnel_pending or b"") + rest
        except _LimitExceeded:
            self._parse_failed(self.current.preset_error if self.current is not None else 400)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _LimitExceeded):
                self._parse_failed(self.current.preset_error if self.current is not None else 400)
            else:
                logger.exception("request parsing failed")
                self._parse_failed(400)
        except httptools.HttpParserError:
            self._parse_failed(400)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        for ex in (self.active, *self._queue):
            if ex is not None:
                ex.client_gone()
        self.active = None
        self._queue.clear()

    def pause_writing(self) -> None:
        self.write_paused = True
        ex = self.active
        if ex is not None and ex.upstream is not None:
            ex.upstream.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        ex = self.active
        if ex is not None and ex.upstream is not None:
            ex.upstream.resume_reading()
        if self._next_pending and self.active is None:
            self._next_pending = False
            self._next()

    # -- httptools callbacks ------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        ex = Exchange(self)
        self.current = ex
        self._header_bytes = 0
        self._header_count = 0
        if self.deadline == 0.0 or self.active is None:
            self.deadline = ex.start + self.settings.header_read_timeout

    def on_url(self, url: bytes) -> None:
        ex = self.current
        assert ex is not None
        ex.url += url
        if len(ex.url) > self.settings.max_request_line_size:
            ex.preset_error = 414
            raise _LimitExceeded

    def on_header(self, name: bytes, value: bytes) -> None:
        ex = self.current
        assert ex is not None
        size = len(name) + len(value) + 4
        self._header_bytes += size
        self._header_count += 1
        settings = self.settings
        if (
            size > settings.max_header_line_size
            or self._header_bytes > settings.max_headers_size
            or (settings.max_header_count and self._header_count > settings.max_header_count)
        ):
            ex.preset_error = 494
            raise _LimitExceeded
        first = name[0] | 0x20  # ASCII lower case of the first letter, without allocating
        if first == 0x78:  # x
            if name.lower().replace(b"_", b"-") in IDENTITY_HEADERS:
                return
        elif first == 0x68:  # h
            if len(name) == 4 and name.lower() == b"host":
                ex.host = value
        elif first == 0x61:  # a
            if len(name) == 6 and name.lower() == b"accept" and ex.accept is None:
                ex.accept = value
        elif first == 0x63:  # c
            if len(name) == 14 and name.lower() == b"content-length" and value.isdigit():
                ex.content_length = int(value)
        elif first == 0x74:  # t
            if len(name) == 17 and name.lower() == b"transfer-encoding":
                if value.strip().lower() != b"chunked":
                    ex.preset_error = 501  # like nginx: only chunked is understood
                ex.chunked_in = True
        elif first == 0x65:  # e
            if len(name) == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
                ex.expect_continue = True
        elif first == 0x6B and len(name) == 10 and name.lower() == b"kong-debug":  # k
            ex.kong_debug = value == b"1" and settings.allow_debug_header
        ex.headers.append((name, value))

    def on_headers_complete(self) -> None:
        ex = self.current
        assert ex is not None
        parser = self._parser
        ex.method = parser.get_method()
        url = ex.url
        if url[:1] != b"/":
            url = self._origin_form(ex, url)
        cut = url.find(b"?")
        if cut < 0:
            ex.path = url
        else:
            ex.path = url[:cut]
            ex.query = url[cut + 1 :]
        ex.http_11 = parser.get_http_version() == "1.1"
        self.requests += 1
        # The connection's last request (keepalive_requests, as nginx) is answered with Connection: close.
        ex.keep_alive = parser.should_keep_alive() and self.requests < self.settings.keepalive_requests
        ex.upgrade = parser.should_upgrade()
        if ex.chunked_in:
            ex.content_length = -1
        if not ex.host and ex.http_11:
            ex.preset_error = 400  # HTTP/1.1 requires Host (RFC 9112 3.2), as nginx enforces
            ex.close_after = True
        limit = self.settings.client_max_body_size
        if limit and ex.content_length > limit:
            ex.preset_error = 413
            ex.close_after = True
        elif ex.expect_continue and ex.http_11 and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if self.active is None:
            self.deadline = self.loop.time() + self.settings.body_read_timeout
            self.active = ex
            self.pipeline.begin(ex)
        else:
            self._queue.append(ex)
            if len(self._queue) >= _MAX_PIPELINED:
                self.pause_reading(self.PAUSE_PIPELINE)

    @staticmethod
    def _origin_form(ex: Exchange, url: bytes) -> bytes:
        """absolute-form targets (`GET http://host/path`): the URL's host wins over Host (RFC 9112 3.2.2)."""
        lowered = url[:8].lower()
        if lowered.startswith((b"http://", b"https://")):
            rest = url.split(b"://", 1)[1]
            slash = rest.find(b"/")
            query = rest.find(b"?")
            end = slash if slash >= 0 and (query < 0 or slash < query) else query
            host = rest if end < 0 else rest[:end]
            if host and b"@" not in host:
                ex.host = host
                path = b"/" if end < 0 else rest[end:]
                ex.url = path if path[:1] == b"/" else b"/" + path
                return ex.url
        if url != b"*" or ex.method != b"OPTIONS":
            ex.preset_error = ex.preset_error or 400
        return url

    def on_body(self, body: bytes) -> None:
        ex = self.current
        if ex is not None:
            if self.deadline:
                self.deadline = self.loop.time() + self.settings.body_read_timeout
            ex.feed_body(body)

    def on_message_complete(self) -> None:
        ex = self.current
        if ex is not None:
            self.current = None
            ex.body_done()
            if ex is self._draining:
                self._draining = None
                self.active = None
                self._next()

    # -- used by exchanges ----------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not self.closed:
            self.bytes_written += len(data)
            transport.write(data)

    def bytes_sent_for(self, ex: Exchange) -> int:
        return self.bytes_written - ex.bytes_base

    def pause_reading(self, reason: int) -> None:
        if not self._paused and self.transport is not None and not self.closed:
            self.transport.pause_reading()
        self._paused |= reason

    def resume_reading(self, reason: int) -> None:
        if not self._paused & reason:
            return
        self._paused &= ~reason
        if not self._paused and self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def body_too_large(self, ex: Exchange) -> None:
        ex.close_after = True
        if ex.replaced_body is None:
            ex.replaced_body = b""  # drop further chunks
        if ex is self.active and not ex.head_sent:
            ex.body_sink = None
            self.pipeline.respond_error(ex, 413, None)
        elif ex is not self.active:
            ex.preset_error = 413
        else:
            self.abort()

    def exchange_done(self, ex: Exchange) -> None:
        if ex is not self.active:
            return
        self.active = None
        if ex.close_after or not ex.keep_alive or self.closing:
            self.close()
            return
        if ex.upgrade and ex.status == 101:
            return
        if self._upgraded:
            self.close()
            return
        if not ex.body_complete:
            if ex.content_length < 0 or ex.content_length - ex.body_received > _MAX_DRAIN:
                self.close()
                return
            self._draining = ex  # read and drop the rest of the body, then go on with the connection
            self.active = ex
            self.deadline = self.loop.time() + _DRAIN_TIMEOUT
            self.resume_reading(self.PAUSE_BODY | self.PAUSE_UPSTREAM)
            return
        self._next()

    def _next(self) -> None:
        if self.write_paused:
            # The client is not reading its responses: parse and answer nothing more until it does.
            self._next_pending = True
            self.pause_reading(self.PAUSE_PIPELINE)
            self.deadline = self.loop.time() + self.settings.keepalive_timeout
            return
        self.resume_reading(self.PAUSE_PIPELINE | self.PAUSE_BODY | self.PAUSE_UPSTREAM)
        if self._queue:
            following = self._queue.popleft()
            self.active = following
            following.bytes_base = self.bytes_written
            self.deadline = self.loop.time() + self.settings.body_read_timeout
            self.loop.call_soon(self._begin, following)
        else:
            self.deadline = self.loop.time() + self.settings.keepalive_timeout

    def _begin(self, ex: Exchange) -> None:
        if not self.closed and ex is self.active:
            self.pipeline.begin(ex)

    def _tunnel_to_upstream(self, data: bytes) -> None:
        ex = self._upgrading
        if ex is None or ex.finished:
            return
        if ex.upstream is not None and ex.upstream.tunnel:
            ex.upstream.write(data)
        else:
            ex.tunnel_pending = (ex.tunnel_pending or b"") + data
            if len(ex.tunnel_pending) > self.settings.high_water:
                self.pause_reading(self.PAUSE_BODY)  # until the upstream accepts the upgrade

    def start_tunnel(self, ex: Exchange) -> None:
        """The upstream accepted the upgrade: bytes flow both ways unparsed from now on."""
        self.deadline = 0.0
        pending = ex.tunnel_pending
        ex.tunnel_pending = None
        if pending and ex.upstream is not None:
            ex.upstream.write(pending)
        self.resume_reading(self.PAUSE_BODY)

    def _parse_failed(self, status: int) -> None:
        ex = self.current
        self.current = None
        if ex is None:
            ex = Exchange(self)
        ex.preset_error = ex.preset_error or status
        ex.close_after = True
        ex.keep_alive = False
        self._upgraded = True  # ignore whatever else the client sends
        if self.active is None:
            self.active = ex
            ex.snapshot = self.pipeline.runtime.snapshot
            self.pipeline.respond_error(ex, ex.preset_error, None)
        elif ex is not self.active and ex not in self._queue:
            self._queue.append(ex)

    def check_deadline(self, now: float) -> None:
        if self.deadline and now > self.deadline and not self.closed:
            ex = self.active
            if ex is not None and ex.head_sent and not ex.finished:
                self.deadline = now + self.settings.body_read_timeout  # the response is streaming
                return
            if ex is not None and ex.body_complete and not ex.finished:
                self.deadline = 0.0  # waiting on the upstream: its own timeouts apply
                return
            self.abort()

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.closed:
            self.transport.close()

    def abort(self) -> None:
        self.closing = True
        if self.transport is not None and not self.closed:
            self.transport.abort()


class ProxyServer:
    """The proxy listeners of one worker.

    `listens` are (host, port, ssl) specs to bind, `sockets` already-bound listening sockets (for example
    bound once with SO_REUSEPORT and shared across worker processes) as (socket, ssl) pairs.
    """

    def __init__(
        self,
        runtime: Runtime,
        settings: ProxySettings | None = None,
        *,
        listens: Sequence[ListenSpec] = (),
        sockets: Iterable[tuple[socket.socket, bool]] = (),
        access_log: AccessLogHook | None = None,
    ) -> None:
        self.runtime = runtime
        self.settings = settings or ProxySettings()
        self.listens = list(listens)
        self.sockets = list(sockets)
        self.access_log = access_log
        self.connections: set[ClientProtocol] = set()
        self.wall_offset = 0.0
        self._servers: list[asyncio.Server] = []
        self._tls_servers: set[asyncio.Server] = set()
        self._sweeper: asyncio.TimerHandle | None = None
        self._tls: ssl.SSLContext | None = None
        self._sni_names: dict[int, str] = {}
        self.loop: asyncio.AbstractEventLoop  # set by start()
        self.pipeline: Pipeline

    @property
    def addresses(self) -> list[tuple[str, int, bool]]:
        """(host, port, ssl) of every listening socket (ports chosen by the OS included)."""
        out: list[tuple[str, int, bool]] = []
        for server in self._servers:
            is_tls = server in self._tls_servers
            # uvloop's Server.sockets is a list where asyncio's is a tuple, and compiled code checks declared
            # types: read it as an untyped sequence.
            sockets: Sequence[Any] = cast(Any, server).sockets
            for sock in sockets:
                host, port = sock.getsockname()[:2]
                out.append((str(host), int(port), is_tls))
        return out

    def port(self, ssl: bool = False) -> int:
        for _, port, is_tls in self.addresses:
            if is_tls == ssl:
                return port
        raise LookupError("no such listener")

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.wall_offset = time.time() - self.loop.time()
        self.pipeline = Pipeline(self.runtime, self.settings, self.loop, self.access_log)
        for spec in self.listens:
            server = await self.loop.create_server(
                lambda tls=spec.ssl: ClientProtocol(self, tls),
                spec.host,
                spec.port,
                ssl=self._tls_context() if spec.ssl else None,
                backlog=spec.backlog,
                reuse_address=True,
                reuse_port=spec.reuse_port or None,
            )
            self._servers.append(server)
            if spec.ssl:
                self._tls_servers.add(server)
        for sock, use_tls in self.sockets:
            server = await self.loop.create_server(
                lambda tls=use_tls: ClientProtocol(self, tls),
                sock=sock,
                ssl=self._tls_context() if use_tls else None,
            )
            self._servers.append(server)
            if use_tls:
                self._tls_servers.add(server)
        self._sweeper = self.loop.call_later(1.0, self._sweep)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            settings = self.settings
            ctx = server_context()
            if settings.default_cert_path and settings.default_key_path:
                ctx.load_cert_chain(settings.default_cert_path, settings.default_key_path)
            ctx.sni_callback = self._sni_callback
            self._tls = ctx
        return self._tls

    def _sni_callback(self, ssl_object: Any, server_name: str | None, _ctx: ssl.SSLContext) -> int | None:
        if server_name:
            self._sni_names[id(ssl_object)] = server_name
            with contextlib.suppress(AttributeError, TypeError):
                ssl_object.sekisho_sni = server_name
            found = self.runtime.snapshot.certificates.lookup(server_name)
            if found is not None:
                ssl_object.context = found
        return None

    def sni_of(self, ssl_object: Any) -> str | None:
        return self._sni_names.pop(id(ssl_object), None)

    def _sweep(self) -> None:
        now = self.loop.time()
        for conn in list(self.connections):
            conn.check_deadline(now)
        if len(self._sni_names) > 10000:
            self._sni_names.clear()
        self._sweeper = self.loop.call_later(1.0, self._sweep)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, let in-flight requests finish (up to `grace` seconds), close the rest."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for server in self._servers:
            server.close()
        for conn in list(self.connections):
            conn.closing = True
            if conn.active is None:
                conn.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while any(not c.closed for c in self.connections) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        for conn in list(self.connections):
            conn.abort()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()
        if hasattr(self, "pipeline"):
            self.pipeline.close()
