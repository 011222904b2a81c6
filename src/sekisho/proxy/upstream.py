"""Upstream HTTP/1.1 connections (httptools response parser) and their keep-alive pools.

A connection serves one exchange at a time and hands every parser event straight to it: no coroutine per
chunk. After a complete keep-alive response it goes back to its pool (LIFO; idle ones close after
`upstream_keepalive_idle_timeout`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from typing import TYPE_CHECKING, Final, cast

import httptools

from sekisho.proxy.errors import UpstreamError

if TYPE_CHECKING:
    from sekisho.proxy.exchange import Exchange

__all__ = ["PoolKey", "UpstreamConnection", "UpstreamPool"]

PoolKey = tuple[str, int, "ssl.SSLContext | None", str | None]
"""(host or IP, port, TLS client context or None for plain HTTP, SNI)."""

_NO_BODY_STATUSES: Final = frozenset({204, 304})
logger = logging.getLogger("sekisho.proxy")


class _HeadersOnly(Exception):
    """Stops the parser after the head of a response that has no body (HEAD, 204, 304)."""


class UpstreamConnection(asyncio.Protocol):
    __slots__ = (
        "_close_delimited",
        "_head_only",
        "_informational",
        "_parser",
        "closed",
        "exchange",
        "headers",
        "idle_since",
        "key",
        "last_read",
        "loop",
        "pool",
        "reading_paused",
        "requests",
        "reused",
        "transport",
        "tunnel",
    )

    def __init__(self, pool: UpstreamPool, key: PoolKey) -> None:
        self.pool = pool
        self.loop = pool.loop
        self.key = key
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self.exchange: Exchange | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.idle_since = 0.0
        self.last_read = 0.0
        self.requests = 0
        self.reused = False
        self.closed = False
        self.tunnel = False
        self.reading_paused = False
        self._head_only = False
        self._informational = False
        self._close_delimited = False

    # -- asyncio.Protocol ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it: cast, do not assert.
        transport = self.transport = cast(asyncio.Transport, transport)
        transport.set_write_buffer_limits(high=self.pool.high_water)

    def data_received(self, data: bytes) -> None:
        ex = self.exchange
        if ex is None:
            self.close()  # an idle connection must not talk
            return
        self.last_read = self.loop.time()
        if self.tunnel:
            ex.tunnel_to_client(data)
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            self.tunnel = True
            ex.upstream_upgraded(data[int(upgrade.args[0]) :])
            return
        except httptools.HttpParserError as exc:
            if self._head_only:
                self._head_only = False
                self._parser = httptools.HttpResponseParser(self)
                self.headers = []
                self._finish(ex, keep=True)
                return
            if isinstance(exc, httptools.HttpParserCallbackError) and exc.__context__ is not None:
                logger.error("error while handling an upstream response", exc_info=exc.__context__)
            self.reused = False
            self._fail(ex, UpstreamError(502, "invalid response from upstream"))
            return
        ex.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        ex = self.exchange
        if ex is None:
            return
        if self.tunnel:
            self.exchange = None
            ex.tunnel_closed()
            return
        self.exchange = None
        if ex.head_sent and self._close_delimited:
            ex.upstream_complete()  # the end of a body without length or chunking is the close
            return
        # A reused keep-alive connection closed by the upstream before any answer: safe to try again.
        retryable = self.reused and not ex.upstream_bytes_seen
        ex.upstream_failed(UpstreamError(502, f"upstream closed the connection: {exc}", retryable=retryable))

    def pause_writing(self) -> None:
        if self.exchange is not None:
            self.exchange.upstream_write_paused()

    def resume_writing(self) -> None:
        if self.exchange is not None:
            self.exchange.upstream_write_resumed()

    # -- httptools callbacks -------------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        ex = self.exchange
        assert ex is not None
        if 100 <= status < 200 and status != 101:
            self._informational = True
            self.headers = []
            return
        headers = self.headers
        self.headers = []
        ex.upstream_bytes_seen = True
        ex.upstream_head(status, headers, self)
        self._close_delimited = not ex.upstream_framed
        if ex.method == b"HEAD" or status in _NO_BODY_STATUSES:
            self._head_only = True
            raise _HeadersOnly

    def on_body(self, body: bytes) -> None:
        ex = self.exchange
        if ex is not None:
            ex.upstream_body(body)

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        if self._parser.get_status_code() == 101:
            return  # the tunnel starts when the parser reports the upgrade
        ex = self.exchange
        if ex is not None:
            self._finish(ex, keep=self._parser.should_keep_alive())

    # -- use -------------------------------------------------------------------------------------------
    def send(self, ex: Exchange, head: bytes) -> None:
        self.exchange = ex
        self.requests += 1
        assert self.transport is not None
        self.transport.write(head)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def pause_reading(self) -> None:
        if self.transport is not None and not self.closed and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.closed and self.reading_paused:
            self.reading_paused = False
            self.transport.resume_reading()

    def abandon(self) -> None:
        """The exchange gave up on this connection (timeout, client gone): close it."""
        self.exchange = None
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _finish(self, ex: Exchange, *, keep: bool) -> None:
        self.exchange = None
        # An answer that came before the whole request body was sent leaves the upstream mid-request.
        sent_all = ex.body_complete or (ex.replaced_body is not None and not ex.body_streamed)
        if (
            keep
            and sent_all
            and not self.closed
            and self.requests < self.pool.max_requests
            and not ex.upstream_keep_off
        ):
            self.resume_reading()  # paused for a slow client: the next user must not inherit that
            self.pool.release(self)
        else:
            self.close()
        ex.upstream_complete()

    def _fail(self, ex: Exchange, error: UpstreamError) -> None:
        self.exchange = None
        self.close()
        ex.upstream_failed(error)


class UpstreamPool:
    """Idle keep-alive connections per (host, port, tls, sni)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        size: int = 60,
        idle_timeout: float = 60.0,
        max_requests: int = 100000,
        high_water: int = 256 * 1024,
    ) -> None:
        self.loop = loop
        self.size = size
        self.idle_timeout = idle_timeout
        self.max_requests = max_requests
        self.high_water = high_water
        self._idle: dict[PoolKey, list[UpstreamConnection]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._insecure: ssl.SSLContext | None = None
        self._verifying: ssl.SSLContext | None = None

    def take(self, key: PoolKey) -> UpstreamConnection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                conn.reused = True
                return conn
        return None

    def release(self, conn: UpstreamConnection) -> None:
        idle = self._idle.setdefault(conn.key, [])
        if len(idle) >= self.size or self.size <= 0:
            conn.close()
            return
        conn.idle_since = self.loop.time()
        idle.append(conn)
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(min(self.idle_timeout, 5.0), self._sweep)

    def forget(self, conn: UpstreamConnection) -> None:
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    def ssl_context(self, verify: bool) -> ssl.SSLContext:
        if verify:
            if self._verifying is None:
                self._verifying = ssl.create_default_context()
            return self._verifying
        if self._insecure is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # Kong's default: proxy_ssl_verify off unless tls_verify
            self._insecure = ctx
        return self._insecure

    async def connect(self, key: PoolKey, connect_timeout: float) -> UpstreamConnection:
        host, port, context, sni = key
        try:
            async with asyncio.timeout(connect_timeout):
                _, protocol = await self.loop.create_connection(
                    lambda: UpstreamConnection(self, key),
                    host,
                    port,
                    ssl=context,
                    server_hostname=(sni or host) if context is not None else None,
                )
        except TimeoutError as exc:
            raise UpstreamError(504, f"timeout connecting to {host}:{port}", retryable=True) from exc
        except socket.gaierror as exc:
            raise UpstreamError(503, "name resolution failed", message="name resolution failed") from exc
        except ssl.SSLError as exc:
            raise UpstreamError(502, f"TLS handshake with {host}:{port} failed: {exc}", retryable=True) from exc
        except OSError as exc:
            raise UpstreamError(502, f"connect to {host}:{port} failed: {exc}", retryable=True) from exc
        return protocol

    def _sweep(self) -> None:
        self._sweeper = None
        deadline = self.loop.time() - self.idle_timeout
        remaining = False
        for idle in self._idle.values():
            for conn in [c for c in idle if c.idle_since <= deadline]:
                idle.remove(conn)
                conn.close()
            remaining = remaining or bool(idle)
        if remaining:
            self._sweeper = self.loop.call_later(min(self.idle_timeout, 5.0), self._sweep)

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
