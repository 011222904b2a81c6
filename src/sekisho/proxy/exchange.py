"""One request/response exchange: the client request as parsed, its body stream, and the response as it
is written back. Upstream connection callbacks drive the response directly (no coroutine per chunk).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from sekisho.proxy.errors import BODY_TOO_LARGE, BodyTooLarge, UpstreamError
from sekisho.proxy.headers import RESPONSE_HOP_BY_HOP, HeaderEdits, header_map

if TYPE_CHECKING:
    from sekisho.proxy.kong import Kong
    from sekisho.proxy.route_target import RouteTarget
    from sekisho.proxy.server import ClientProtocol
    from sekisho.proxy.upstream import UpstreamConnection
    from sekisho.router import Match
    from sekisho.runtime.balancer import Balancer, Target
    from sekisho.runtime.plan import PluginPlan, ResolvedPlugin
    from sekisho.runtime.snapshot import Snapshot

__all__ = ["Exchange", "status_line"]

_REASONS: Final[dict[int, str]] = {
    100: "Continue",
    101: "Switching Protocols",
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Large",
    415: "Unsupported Media Type",
    417: "Expectation Failed",
    426: "Upgrade Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    494: "Request Header Or Cookie Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_METHOD_NAMES: Final = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")}
_STATUS_LINES: dict[int, bytes] = {}  # filled by status_line(); read directly on the hot path


def status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    if line is None:
        line = f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n".encode()
        if len(_STATUS_LINES) < 1000:
            _STATUS_LINES[status] = line
    return line


class Exchange:
    """State of one request on a client connection, from its first header to its log phase."""

    # Defaults live on the class so a new exchange only sets what differs (cheaper than 80 slot writes).
    method: bytes = b""
    url: bytes = b""
    path: bytes = b""  # url without the query (set when the head is complete)
    query: bytes = b""
    host: bytes = b""
    accept: bytes | None = None
    kong_debug: bool = False
    http_11: bool = True
    keep_alive: bool = True
    upgrade: bool = False
    expect_continue: bool = False
    content_length: int = -1
    chunked_in: bool = False
    preset_error: int = 0
    error_message: str | None = None
    # request body
    body_buffered: int = 0
    body_received: int = 0
    body_complete: bool = False
    body_keep: bool = False
    body_overflow: bool = False
    body_streamed: bool = False
    body_sink: UpstreamConnection | None = None
    body_waiter: asyncio.Future[None] | None = None
    replaced_body: bytes | None = None
    chunked_out: bool = False
    # routing and plugins
    snapshot: Snapshot | None = None
    match: Match | None = None
    route: dict[str, Any] | None = None
    service: dict[str, Any] | None = None
    plan: PluginPlan | None = None
    target_info: RouteTarget | None = None
    watched: bool = False
    upstream_framed: bool = True
    collected: list[ResolvedPlugin] | tuple[ResolvedPlugin, ...] = ()
    has_body_filter: bool = False
    kong: Kong | None = None
    current_plugin: str = ""
    ctx_shared: dict[str, Any] | None = None
    ctx_plugin: dict[str, dict[str, Any]] | None = None
    consumer: dict[str, Any] | None = None
    credential: dict[str, Any] | None = None
    consumer_anonymous: bool = False
    # upstream request
    upstream_scheme: str = "http"
    upstream_host: str = ""
    upstream_port: int = 80
    upstream_host_header: str | None = None
    upstream_method: bytes | None = None
    upstream_path: str = ""
    upstream_query: bytes | None = None
    service_edits: HeaderEdits | None = None
    balancer: Balancer | None = None
    target: Target | None = None
    tried: list[Target] | None = None
    tries: int = 0
    request_head: bytes | None = None
    upstream: UpstreamConnection | None = None
    upstream_start: float = 0.0
    upstream_first_byte: float = 0.0
    sent_at: float = 0.0
    read_timeout: float = 60.0
    write_timeout: float = 60.0
    write_paused_at: float = 0.0
    upstream_bytes_seen: bool = False
    upstream_keep_off: bool = False
    tunnel_pending: bytes | None = None
    # response
    status: int = 0
    resp_status: int = 0
    resp_edits: HeaderEdits | None = None
    response_source: str = "service"
    head_sent: bool = False
    close_after: bool = False
    bytes_base: int = 0
    finished: bool = False
    end: float = 0.0

    def __init__(self, conn: ClientProtocol) -> None:
        self.conn = conn
        self.start = conn.loop.time()
        self.start_time = conn.server.wall_offset + self.start
        self.bytes_base = conn.bytes_written
        self.headers: list[tuple[bytes, bytes]] = []
        self.peer = conn.peer_ip
        self.real_ip = conn.peer_ip
        self.body_chunks: list[bytes] = []
        self.resp_headers: list[tuple[bytes, bytes]] = []
        self.out: list[bytes] = []

    # -- request views ---------------------------------------------------------------------------------
    def method_name(self) -> str:
        return _METHOD_NAMES.get(self.method) or self.method.decode("latin-1")

    def header(self, lower: str) -> str | None:
        """First value of a request header."""
        wanted = lower.encode("latin-1")
        for name, value in self.headers:
            if len(name) == len(wanted) and name.lower() == wanted:
                return value.decode("latin-1")
        return None

    def header_lookup(self, lower: str) -> str | list[str] | None:
        wanted = lower.encode("latin-1")
        found = [value.decode("latin-1") for name, value in self.headers if name.lower() == wanted]
        if not found:
            return None
        return found[0] if len(found) == 1 else found

    def headers_dict(self, limit: int = 0) -> dict[str, str | list[str]]:
        return header_map(self.headers, limit)

    # -- request body ----------------------------------------------------------------------------------
    def feed_body(self, chunk: bytes) -> None:
        self.body_received += len(chunk)
        limit = self.conn.settings.client_max_body_size
        if limit and self.body_received > limit:
            self.conn.body_too_large(self)
            return
        if self.replaced_body is not None:
            return
        sink = self.body_sink
        if sink is not None and not self.body_keep:
            self.body_streamed = True
            self.sent_at = self.conn.loop.time()
            sink.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if self.chunked_in else chunk)
            return
        if self.body_overflow:
            return
        self.body_chunks.append(chunk)
        self.body_buffered += len(chunk)
        if self.body_keep:
            if self.body_buffered > self.conn.settings.client_body_buffer_size:
                self._overflow()
        elif self.body_buffered > self.conn.settings.high_water:
            self.conn.pause_reading(self.conn.PAUSE_BODY)

    def _overflow(self) -> None:
        """A plugin wanted the whole body but it exceeds client_body_buffer_size: it can no longer be sent."""
        self.body_overflow = True
        self.body_chunks = []
        self.body_buffered = 0
        waiter = self.body_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(BodyTooLarge(BODY_TOO_LARGE))

    def body_done(self) -> None:
        self.body_complete = True
        sink = self.body_sink
        if sink is not None:
            self.sent_at = self.conn.loop.time()
        if sink is not None and self.chunked_in and self.replaced_body is None:
            sink.write(b"0\r\n\r\n")
        waiter = self.body_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read_body(self) -> bytes:
        """The whole request body (kong.request.get_raw_body); kept for the upstream request."""
        if self.replaced_body is not None:
            return self.replaced_body
        if self.body_overflow:
            raise BodyTooLarge(BODY_TOO_LARGE)
        self.body_keep = True
        if self.body_buffered > self.conn.settings.client_body_buffer_size:
            self._overflow()
            raise BodyTooLarge(BODY_TOO_LARGE)
        if not self.body_complete:
            self.conn.resume_reading(self.conn.PAUSE_BODY)
            if self.body_waiter is None:
                self.body_waiter = self.conn.loop.create_future()
            await self.body_waiter
        return b"".join(self.body_chunks)

    def attach_body(self, sink: UpstreamConnection) -> None:
        """Send the buffered body to `sink`, then stream the rest to it as it arrives."""
        if self.replaced_body is not None:
            if self.replaced_body:
                sink.write(self.replaced_body)
            return
        chunks = self.body_chunks
        if chunks:
            if self.chunked_in:
                sink.write(b"".join(b"%x\r\n%b\r\n" % (len(c), c) for c in chunks))
            else:
                sink.write(b"".join(chunks))
            if not self.body_keep:
                self.body_streamed = True
                self.body_chunks = []
                self.body_buffered = 0
                self.conn.resume_reading(self.conn.PAUSE_BODY)
        if self.body_complete:
            if self.chunked_in:
                sink.write(b"0\r\n\r\n")
        else:
            self.body_sink = sink

    @property
    def body_replayable(self) -> bool:
        return not self.body_streamed

    # -- upstream events (called by UpstreamConnection) ---------------------------------------------------
    def upstream_head(self, status: int, headers: list[tuple[bytes, bytes]], conn: UpstreamConnection) -> None:
        self.upstream_first_byte = self.conn.loop.time()
        if self.watched:
            self.watched = False
            self.conn.pipeline.unwatch(self)
        self.resp_status = status
        self.status = status
        self.resp_headers = headers
        self.response_source = "service"
        if self.balancer is not None and self.target is not None:
            self.balancer.report_status(self.target, status)
        pipeline = self.conn.pipeline
        if self.collected:
            pipeline.header_filter(self)
        self.out.append(pipeline.response_head(self))
        self.head_sent = True

    def upstream_body(self, chunk: bytes) -> None:
        if self.has_body_filter:
            chunk = self.conn.pipeline.body_filter(self, chunk, False)
            if not chunk:
                return
        if self.chunked_out:
            self.out.append(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        else:
            self.out.append(chunk)
        if len(self.out) > 64:
            self.flush()

    def flush(self) -> None:
        out = self.out
        if out:
            self.conn.write(b"".join(out) if len(out) > 1 else out[0])
            out.clear()

    def upstream_complete(self) -> None:
        self._cancel_read_timer()
        self.upstream = None
        if self.target is not None:
            self.target.active -= 1
            self.target = None
        if self.has_body_filter:
            tail = self.conn.pipeline.body_filter(self, b"", True)
            if tail:
                self.out.append(b"%x\r\n%b\r\n" % (len(tail), tail) if self.chunked_out else tail)
        if self.chunked_out and self.resp_status >= 200:
            self.out.append(b"0\r\n\r\n")
        self.flush()
        self.finish()

    def upstream_failed(self, error: UpstreamError) -> None:
        self._cancel_read_timer()
        upstream = self.upstream
        self.upstream = None
        self.body_sink = None
        if upstream is not None:
            upstream.abandon()
        target = self.target
        if target is not None:
            target.active -= 1
            if self.balancer is not None:
                if error.status == 504:
                    self.balancer.report_timeout(target)
                else:
                    self.balancer.report_tcp_failure(target)
        if self.finished:
            return
        if self.head_sent:
            self.flush()
            self.close_after = True
            self.conn.abort()
            self.finish()
            return
        self.conn.pipeline.upstream_failed(self, error)

    def upstream_write_paused(self) -> None:
        self.write_paused_at = self.conn.loop.time()
        self.conn.pause_reading(self.conn.PAUSE_UPSTREAM)

    def upstream_write_resumed(self) -> None:
        self.write_paused_at = 0.0
        self.sent_at = self.conn.loop.time()
        self.conn.resume_reading(self.conn.PAUSE_UPSTREAM)

    def check_read_timeout(self, now: float) -> bool:
        """Called by the pipeline's sweeper; True once the exchange stops being watched."""
        upstream = self.upstream
        if upstream is None or self.finished:
            return True
        if self.write_paused_at:
            # service.write_timeout: the upstream stopped taking the request body
            if now - self.write_paused_at < self.write_timeout:
                return False
            self.upstream_failed(UpstreamError(504, "upstream write timed out", retryable=False))
            return True
        if now - max(upstream.last_read, self.sent_at) < self.read_timeout:
            return False
        self.upstream_failed(UpstreamError(504, "upstream read timed out", retryable=True))
        return True

    def _cancel_read_timer(self) -> None:
        if self.watched:
            self.watched = False
            self.conn.pipeline.unwatch(self)

    # -- websocket tunnel -------------------------------------------------------------------------------
    def upstream_upgraded(self, rest: bytes) -> None:
        """The upstream answered 101: from now on bytes pass through unparsed both ways."""
        self._cancel_read_timer()
        self.flush()
        self.conn.start_tunnel(self)
        if rest:
            self.conn.write(rest)

    def tunnel_to_client(self, data: bytes) -> None:
        self.conn.write(data)

    def tunnel_closed(self) -> None:
        self.upstream = None
        self.close_after = True
        self.conn.close()
        if not self.finished:
            self.finish()

    # -- generated responses -----------------------------------------------------------------------------
    def respond(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]], source: str) -> None:
        """Answer with a response the proxy (or a plugin) produced."""
        if self.finished or self.head_sent:
            return
        self.resp_status = status
        self.status = status
        self.resp_headers = headers
        self.response_source = source
        pipeline = self.conn.pipeline
        pipeline.header_filter(self)
        if self.has_body_filter:
            body = pipeline.body_filter(self, body, True)
        self.chunked_out = False
        head = pipeline.response_head(self, generated_length=len(body))
        self.head_sent = True
        if self.method == b"HEAD" or status == 204 or status == 304:
            body = b""
        self.conn.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.conn.write(body)
        self.finish()

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.end = self.conn.loop.time()
        self._cancel_read_timer()
        upstream = self.upstream
        if upstream is not None:
            self.upstream = None
            upstream.abandon()
        if not self.body_complete:
            # The answer went out before the whole body arrived: the rest is read and dropped (the
            # connection drains it, or closes if it is too much).
            self.body_sink = None
            if self.replaced_body is None:
                self.replaced_body = b""
            self.body_chunks = []
        self.conn.exchange_done(self)
        self.conn.pipeline.after(self)

    def client_gone(self) -> None:
        """The client connection closed: drop the upstream side and run the log phase."""
        self.close_after = True
        self.body_sink = None
        if self.target is not None:
            self.target.active -= 1
            self.target = None
        if self.status == 0:
            self.status = 499
        if not self.finished:
            self.finished = True
            self.end = self.conn.loop.time()
            self._cancel_read_timer()
            upstream = self.upstream
            self.upstream = None
            if upstream is not None:
                upstream.abandon()
            self.conn.pipeline.after(self)

    def response_header(self, lower: bytes) -> bytes | None:
        edits = self.resp_edits
        if edits is not None:
            return edits.get(lower, self.resp_headers)
        for name, value in self.resp_headers:
            if name.lower() == lower:
                return value
        return None

    def response_headers(self) -> list[tuple[bytes, bytes]]:
        edits = self.resp_edits
        base = [(n, v) for n, v in self.resp_headers if n.lower() not in RESPONSE_HOP_BY_HOP]
        return list(edits.apply(base)) if edits else base


HeaderFilter = Callable[[Exchange], None]
