"""The request pipeline: rewrite (global plugins) -> route -> access -> upstream -> header_filter ->
body_filter -> log (Kong's runloop).

Requests that no plugin touches before the upstream stay synchronous from the parsed head to the upstream
write; a coroutine exists only when a plugin's rewrite/access phase runs or a new upstream connection has
to be opened.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import ssl
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Final

from sekisho.pdk import ShortCircuit
from sekisho.proxy.errors import (
    HTTPS_REQUIRED,
    NO_ROUTE,
    NO_SERVICE,
    RING_BALANCER_FAILURE,
    BodyTooLarge,
    UpstreamError,
    message_for,
    render_error,
)
from sekisho.proxy.exchange import _STATUS_LINES, status_line
from sekisho.proxy.forwarded import TrustedIps, real_client_ip
from sekisho.proxy.headers import HOP_BY_HOP, RESPONSE_HOP_BY_HOP, HeaderEdits
from sekisho.proxy.kong import ErrorExit, Kong, KongNode, consumer_cache_key, serialize
from sekisho.proxy.route_target import host_with_port, route_target
from sekisho.proxy.settings import ProxySettings
from sekisho.proxy.upstream import PoolKey, UpstreamConnection, UpstreamPool
from sekisho.runtime.plan import PluginPlan, ResolvedPlugin
from sekisho.runtime.runtime import Runtime

if TYPE_CHECKING:
    from sekisho.proxy.exchange import Exchange

__all__ = ["AccessLogHook", "Pipeline"]

logger = logging.getLogger("sekisho.proxy")

AccessLogHook = Callable[[dict[str, Any]], None]
"""Called once per finished request with Kong's serialized log record (see `kong.log.serialize`)."""

_JSON: Final = b"application/json; charset=utf-8"
_WATCH_INTERVAL: Final = 0.05


class Pipeline:
    """Shared by every connection of a worker: runtime, settings, upstream pool and plugin runner."""

    def __init__(
        self,
        runtime: Runtime,
        settings: ProxySettings,
        loop: asyncio.AbstractEventLoop,
        access_log: AccessLogHook | None = None,
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.loop = loop
        self.access_log = access_log
        self.trusted = TrustedIps(settings.trusted_ips)
        self.has_trusted = bool(self.trusted)
        self.node = KongNode(settings.node_id, settings.hostname, settings.cluster_secret)
        self.pool = UpstreamPool(
            loop,
            size=settings.upstream_keepalive_pool_size,
            idle_timeout=settings.upstream_keepalive_idle_timeout,
            max_requests=settings.upstream_keepalive_max_requests,
            high_water=settings.high_water,
        )
        self.real_ip_header = settings.real_ip_header.lower().encode("latin-1")
        token = settings.server_token.encode("latin-1")
        self.via = b"Via: " + token + b"\r\n" if settings.header_enabled("Via") else b""
        self.server = b"Server: " + token + b"\r\n" if settings.header_enabled("Server") else b""
        self.upstream_latency = settings.header_enabled("X-Kong-Upstream-Latency")
        self.proxy_latency = settings.header_enabled("X-Kong-Proxy-Latency")
        self.response_latency = settings.header_enabled("X-Kong-Response-Latency")
        self.upstream_status = settings.header_enabled("X-Kong-Upstream-Status")
        self.default_tokens = (
            self.via + b"X-Kong-Upstream-Latency: %d\r\nX-Kong-Proxy-Latency: %d\r\n"
            if self.via and self.upstream_latency and self.proxy_latency
            else b""
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._identities: dict[tuple[int, int, bool], tuple[Any, Any, HeaderEdits]] = {}
        self._watched: set[Exchange] = set()
        self._watch_timer: asyncio.TimerHandle | None = None

    # -- entry ----------------------------------------------------------------------------------------------
    def begin(self, ex: Exchange) -> None:
        """The request head is parsed and it is this exchange's turn on its connection."""
        try:
            snapshot = ex.snapshot = self.runtime.snapshot
            if ex.preset_error:
                self.respond_error(ex, ex.preset_error, None)
                return
            if self.has_trusted:
                header = ex.header(self.settings.real_ip_header.lower())
                ex.real_ip = real_client_ip(ex.peer, header, self.trusted, self.settings.real_ip_recursive)
            if snapshot.plugins.rewrite:
                self.spawn(self._rewrite_then_access(ex), ex)
                return
            plan = self._route(ex)
            if plan is not None:
                self._routed(ex, plan)
        except Exception:
            logger.exception("unexpected error while handling a request")
            self.respond_error(ex, 500, None)

    # Upstream read timeouts: one sweeper over the exchanges waiting on an upstream, not a timer each.
    def watch(self, ex: Exchange) -> None:
        self._watched.add(ex)
        if self._watch_timer is None:
            self._watch_timer = self.loop.call_later(_WATCH_INTERVAL, self._sweep_watched)

    def unwatch(self, ex: Exchange) -> None:
        self._watched.discard(ex)

    def _sweep_watched(self) -> None:
        now = self.loop.time()
        for ex in list(self._watched):
            if ex.check_read_timeout(now):
                self._watched.discard(ex)
        self._watch_timer = self.loop.call_later(_WATCH_INTERVAL, self._sweep_watched) if self._watched else None

    def spawn(self, coro: Coroutine[Any, Any, None], ex: Exchange | None = None) -> None:
        """Run `coro` in the background; if it fails unexpectedly, `ex` still gets its 500."""
        task = self.loop.create_task(self._guarded(coro, ex))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, coro: Coroutine[Any, Any, None], ex: Exchange | None) -> None:
        try:
            await coro
        except Exception:
            logger.exception("unexpected error while handling a request")
            if ex is not None and not ex.finished:
                if ex.head_sent:  # too late for a 500: cut the response short
                    ex.conn.abort()
                    ex.finish()
                else:
                    self.respond_error(ex, 500, None)

    # -- routing --------------------------------------------------------------------------------------------
    def _route(self, ex: Exchange) -> PluginPlan | None:
        """Match the route; None when a response was already produced (404, 426, 503)."""
        snapshot = ex.snapshot
        assert snapshot is not None
        conn = ex.conn
        scheme = conn.scheme
        host = ex.host
        match = snapshot.router.match(
            ex.method_name(),
            host.decode("latin-1") if host else None,
            ex.path.decode("latin-1"),
            ex.header_lookup,
            scheme,
            conn.sni,
            conn.server_port,
        )
        if match is None:
            ex.collected = snapshot.plugins.globals_for(scheme)
            ex.has_body_filter = any(p.body_filter for p in ex.collected)
            self.respond_error(ex, 404, NO_ROUTE, kong_exit=True)
            return None
        ex.match = match
        route = ex.route = match.route
        service = ex.service = match.service
        if service is None:
            ex.collected = snapshot.plugins.globals_for(scheme)
            self.respond_error(ex, 503, NO_SERVICE, kong_exit=True)
            return None
        info = ex.target_info = route_target(snapshot, route, service)
        if info.grpc_only:
            ex.collected = snapshot.plugins.globals_for(scheme)
            content_type = ex.header("content-type") or ""
            if not content_type.startswith("application/grpc"):
                self.respond_error(ex, 415, "Non-gRPC request matched gRPC route", kong_exit=True)
            else:  # gRPC needs HTTP/2, which this listener does not speak
                self.respond_error(ex, 426, "Please use HTTP2 protocol", kong_exit=True)
            return None
        if info.https_only and scheme == "http":
            ex.collected = snapshot.plugins.globals_for(scheme)
            self._https_required(ex, info.redirect_status)
            return None
        ex.upstream_scheme = info.scheme
        ex.upstream_host = info.host
        ex.upstream_port = info.port
        ex.balancer = info.balancer
        ex.upstream_path = match.upstream_path
        plan = ex.plan = info.plan_https if scheme == "https" else info.plan_http
        return plan

    def _https_required(self, ex: Exchange, status: int) -> None:
        if status == 426:
            body, ctype = render_error(426, HTTPS_REQUIRED, self._accept(ex), "application/json")
            headers = [(b"Content-Type", ctype), (b"Connection", b"Upgrade"), (b"Upgrade", b"TLS/1.2, HTTP/1.1")]
            ex.respond(426, body, headers, "error")
            return
        location = b"https://" + ex.host.split(b":")[0] + ex.url
        ex.respond(status, b"", [(b"Location", location)], "error")

    # -- plugins --------------------------------------------------------------------------------------------
    def kong(self, ex: Exchange) -> Kong:
        kong = ex.kong
        if kong is None:
            kong = ex.kong = Kong(ex, self)
        return kong

    async def _rewrite_then_access(self, ex: Exchange) -> None:
        snapshot = ex.snapshot
        assert snapshot is not None
        globals_ = snapshot.plugins.globals_for(ex.conn.scheme)
        kong = self.kong(ex)
        try:
            for resolved in globals_:
                if resolved.rewrite:
                    if resolved.broken:
                        raise RuntimeError(f"plugin {resolved.name} has an unusable configuration")
                    kong.current = resolved.name
                    await resolved.plugin.rewrite(kong, resolved.conf)
        except ShortCircuit as exit_:
            ex.collected = globals_
            ex.has_body_filter = any(p.body_filter for p in globals_)
            self._exit(ex, exit_)
            return
        except Exception:
            logger.exception("plugin %s failed in the rewrite phase", kong.current)
            ex.collected = globals_
            self.respond_error(ex, 500, None)
            return
        plan = self._route(ex)
        if plan is not None:
            self._routed(ex, plan)

    def _routed(self, ex: Exchange, plan: PluginPlan) -> None:
        """The route is known: its plugins' access phase when it has one, else straight upstream."""
        if plan.needs_access:
            self.access(ex)
            return
        if plan.entries:
            ex.collected = plan.base_collected
            ex.has_body_filter = plan.has_body_filter
        self.upstream(ex)

    def access(self, ex: Exchange) -> None:
        """The access phase of the route's plugins, synchronously while each plugin's `try_access` decides;
        from the first plugin that needs I/O on, in a coroutine."""
        plan = ex.plan
        assert plan is not None
        scheme = ex.conn.scheme
        collected: list[ResolvedPlugin] = []
        ex.collected = collected
        kong: Kong | None = None
        body_filter = False
        index = -1
        for entry in plan.entries:
            index += 1
            consumer = ex.consumer
            resolved = entry.resolve(consumer.get("id") if consumer is not None else None)
            if resolved is None or scheme not in resolved.protocols:
                continue
            if resolved.access:
                if not resolved.try_access:
                    self.spawn(self._access_from(ex, index, collected), ex)
                    return
                if kong is None:
                    kong = self.kong(ex)
                ex.current_plugin = resolved.name
                try:
                    done = resolved.plugin.try_access(kong, resolved.conf)
                except (ShortCircuit, Exception) as exc:
                    collected.append(resolved)
                    self._access_stopped(ex, index + 1, collected, self._access_exit(resolved.name, exc))
                    return
                if not done:
                    self.spawn(self._access_from(ex, index, collected), ex)
                    return
                if ex.finished:
                    return
            collected.append(resolved)
            if resolved.body_filter:
                body_filter = True
        ex.has_body_filter = body_filter
        if not ex.finished:
            self.upstream(ex)

    async def _access_from(self, ex: Exchange, start: int, collected: list[ResolvedPlugin]) -> None:
        """The access phase from plan entry `start` on, awaiting each plugin's `access`."""
        plan = ex.plan
        assert plan is not None
        scheme = ex.conn.scheme
        kong = self.kong(ex)
        entries = plan.entries
        for index in range(start, len(entries)):
            consumer = ex.consumer
            resolved = entries[index].resolve(consumer.get("id") if consumer is not None else None)
            if resolved is None or scheme not in resolved.protocols:
                continue
            collected.append(resolved)
            if resolved.broken:
                logger.error("plugin %s has an unusable configuration; answering 500", resolved.name)
                self._access_stopped(ex, index + 1, collected, None)
                return
            if resolved.access:
                kong.current = resolved.name
                try:
                    if not (resolved.try_access and index > start and resolved.plugin.try_access(kong, resolved.conf)):
                        await resolved.plugin.access(kong, resolved.conf)
                except (ShortCircuit, Exception) as exc:
                    self._access_stopped(ex, index + 1, collected, self._access_exit(resolved.name, exc))
                    return
                if ex.finished:
                    return
        ex.has_body_filter = any(p.body_filter for p in collected)
        if not ex.finished:
            self.upstream(ex)

    @staticmethod
    def _access_exit(name: str, exc: BaseException) -> ShortCircuit | None:
        """What an exception out of a plugin's access phase ends in: its own exit, 413 for a body too large
        to buffer, or None for a failure (logged; answered 500)."""
        if isinstance(exc, ShortCircuit):
            return exc
        if isinstance(exc, BodyTooLarge):
            return ErrorExit(413, message_for(413), None)
        logger.error("plugin %s failed in the access phase", name, exc_info=exc)
        return None

    def _access_stopped(
        self, ex: Exchange, rest: int, collected: list[ResolvedPlugin], stop: ShortCircuit | None
    ) -> None:
        """A plugin exited (`stop`) or failed (None). Like Kong, the remaining plugins are still collected so
        their header_filter/body_filter/log run; only their access handlers are skipped."""
        plan = ex.plan
        assert plan is not None
        scheme = ex.conn.scheme
        for entry in plan.entries[rest:]:
            consumer = ex.consumer
            resolved = entry.resolve(consumer.get("id") if consumer is not None else None)
            if resolved is not None and scheme in resolved.protocols:
                collected.append(resolved)
        if ex.finished:
            return
        ex.has_body_filter = any(p.body_filter for p in collected)
        if stop is None:
            self.respond_error(ex, 500, None)
        else:
            self._exit(ex, stop)

    def header_filter(self, ex: Exchange) -> None:
        if not ex.collected:
            return
        kong: Kong | None = None
        for resolved in ex.collected:
            if resolved.header_filter:
                kong = kong or self.kong(ex)
                kong.current = resolved.name
                try:
                    resolved.plugin.header_filter(kong, resolved.conf)
                except ShortCircuit:
                    logger.error("plugin %s called kong.response.exit in header_filter; ignored", resolved.name)
                except Exception:
                    logger.exception("plugin %s failed in the header_filter phase", resolved.name)

    def body_filter(self, ex: Exchange, chunk: bytes, eof: bool) -> bytes:
        kong = self.kong(ex)
        for resolved in ex.collected:
            if resolved.body_filter:
                kong.current = resolved.name
                try:
                    chunk = resolved.plugin.body_filter(kong, resolved.conf, chunk, eof)
                except ShortCircuit:
                    logger.error("plugin %s called kong.response.exit in body_filter; ignored", resolved.name)
                except Exception:
                    logger.exception("plugin %s failed in the body_filter phase", resolved.name)
        return chunk

    def after(self, ex: Exchange) -> None:
        """The response is done: the access-log hook, then the log phase in the background."""
        if self.access_log is not None:
            try:
                self.access_log(serialize(ex, self))
            except Exception:
                logger.exception("access log hook failed")
        for resolved in ex.collected:
            if resolved.log:
                self.spawn(self._log_phase(ex))
                return
        ex.kong = None  # the PDK objects point back at the exchange: drop the cycle now

    async def _log_phase(self, ex: Exchange) -> None:
        kong = self.kong(ex)
        for resolved in ex.collected:
            if not resolved.log:
                continue
            kong.current = resolved.name
            try:
                async with asyncio.timeout(self.settings.log_phase_timeout):
                    await resolved.plugin.log(kong, resolved.conf)
            except TimeoutError:
                logger.error("plugin %s: log phase timed out", resolved.name)
            except Exception:
                logger.exception("plugin %s failed in the log phase", resolved.name)
        ex.kong = None

    def _exit(self, ex: Exchange, exit_: ShortCircuit) -> None:
        headers: list[tuple[bytes, bytes]] = []
        has_type = False
        for name, value in (exit_.headers or {}).items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                headers.append((name.encode("latin-1"), str(item).encode("latin-1")))
            has_type = has_type or name.lower() == "content-type"
        body: bytes
        if isinstance(exit_, ErrorExit):
            body, ctype = render_error(exit_.status, exit_.message, self._accept(ex), "application/json")
            if not has_type:
                headers.append((b"Content-Type", ctype))
        elif exit_.body is None:
            body = b""
        elif isinstance(exit_.body, Mapping):
            body = json.dumps(exit_.body, ensure_ascii=False, separators=(",", ":")).encode()
            if not has_type:
                headers.append((b"Content-Type", _JSON))
        elif isinstance(exit_.body, str):
            body = exit_.body.encode()
        else:
            body = bytes(exit_.body)
        ex.respond(exit_.status, body, headers, "exit")

    def authenticate(
        self, ex: Exchange, consumer: dict[str, Any] | None, credential: dict[str, Any] | None, *, anonymous: bool
    ) -> None:
        """Record who is calling and set Kong's X-Consumer-* headers upstream."""
        ex.consumer = consumer
        ex.credential = credential
        anonymous = ex.consumer_anonymous = anonymous and consumer is not None
        edits = ex.service_edits
        if edits is None:
            edits = ex.service_edits = HeaderEdits()
        elif edits:
            # Client-sent copies of these headers never get this far (dropped while parsing), so one only needs
            # clearing when a plugin set it earlier in this request for another caller.
            for lower, name in _IDENTITY_HEADERS:
                if edits.touches(lower):
                    edits.clear(name)
        key = (id(consumer), id(credential), anonymous)
        known = self._identities.get(key)
        if known is None or known[0] is not consumer or known[1] is not credential:
            if len(self._identities) >= _IDENTITY_MEMO_SIZE:
                self._identities.clear()
            known = self._identities[key] = (consumer, credential, _identity_headers(consumer, credential, anonymous))
        edits.merge(known[2])

    async def load_consumer(self, consumer_id: str, search_by_username: bool = False) -> dict[str, Any] | None:
        reader = self.runtime.entity_reader("consumers")

        async def load() -> dict[str, Any] | None:
            row = await reader.select(consumer_id)
            if row is None and search_by_username:
                row = await reader.select_by("username", consumer_id)
            return row

        key = consumer_cache_key(consumer_id, search_by_username)
        found: dict[str, Any] | None = await self.runtime.cache.get(key, load)
        return found

    # -- upstream -------------------------------------------------------------------------------------------
    def upstream(self, ex: Exchange) -> None:
        """One try: pick a peer, reuse a pooled connection or open one, send the request."""
        if ex.finished:
            return
        if ex.body_overflow:  # a plugin dropped the body it could not buffer: never send a truncated one
            self.respond_error(ex, 413, None)
            return
        ex.tries += 1
        balancer = ex.balancer
        info = ex.target_info
        if balancer is not None:
            target = balancer.select(self._hash_key(ex) if balancer.hashed else None, ex.tried)
            if target is None:
                self.respond_error(ex, 503, RING_BALANCER_FAILURE, kong_exit=True)
                return
            ex.target = target
            target.active += 1
            if ex.tried is None:
                ex.tried = []
            ex.tried.append(target)
            key: PoolKey = (target.host, target.port, self._tls(ex), None)
        elif (
            info is not None
            and ex.upstream_host is info.host
            and ex.upstream_port == info.port
            and ex.upstream_scheme is info.scheme
        ):
            key = info.pool_key
        else:
            key = (ex.upstream_host, ex.upstream_port, self._tls(ex), None)
        conn = self.pool.take(key)
        if conn is None:
            self.spawn(self._connect(ex, key), ex)
            return
        self._send(ex, conn)

    def _tls(self, ex: Exchange) -> ssl.SSLContext | None:
        if ex.upstream_scheme != "https":
            return None
        info = ex.target_info
        if info is not None and info.tls is not None:
            return info.tls
        return self.pool.ssl_context(False)  # a plugin switched the scheme to https

    async def _connect(self, ex: Exchange, key: PoolKey) -> None:
        info = ex.target_info
        timeout = info.connect_timeout if info is not None else 60.0
        try:
            conn = await self.pool.connect(key, timeout)
        except UpstreamError as error:
            ex.upstream_failed(error)
            return
        if ex.finished:
            self.pool.release(conn)
            return
        self._send(ex, conn)

    def _send(self, ex: Exchange, conn: UpstreamConnection) -> None:
        head = ex.request_head
        if head is None or ex.balancer is not None:  # the Host header follows the chosen target
            head = ex.request_head = self.request_head(ex)
        now = self.loop.time()
        if not ex.upstream_start:
            ex.upstream_start = now
        ex.sent_at = now
        ex.upstream = conn
        ex.upstream_bytes_seen = False
        conn.send(ex, head)
        if ex.content_length > 0 or ex.chunked_in or ex.replaced_body is not None:
            ex.attach_body(conn)
        if ex.conn.write_paused:
            conn.pause_reading()
        info = ex.target_info
        if info is not None:
            ex.write_timeout = info.write_timeout
            ex.read_timeout = info.read_timeout
        ex.watched = True
        self._watched.add(ex)  # the sweeper enforces read/write timeouts
        if self._watch_timer is None:
            self._watch_timer = self.loop.call_later(_WATCH_INTERVAL, self._sweep_watched)

    def upstream_failed(self, ex: Exchange, error: UpstreamError) -> None:
        """A try failed before the response head reached the client: retry or answer 502/503/504."""
        info = ex.target_info
        retries = info.retries if info is not None else 0
        if error.retryable and ex.body_replayable and ex.tries <= retries and not ex.conn.closed:
            self.upstream(ex)
            return
        logger.error("upstream failure after %d tries: %s", ex.tries, error.reason)
        self.respond_error(ex, error.status, error.message)

    def _hash_key(self, ex: Exchange) -> str | None:
        balancer = ex.balancer
        assert balancer is not None
        up = balancer.upstream
        for prefix in ("hash_on", "hash_fallback"):
            kind = up.get(prefix) or "none"
            value: str | None = None
            if kind == "ip":
                value = ex.real_ip
            elif kind == "consumer":
                value = str((ex.consumer or ex.credential or {}).get("id") or "") or None
            elif kind == "header":
                value = ex.header(str(up.get(prefix + "_header") or "").lower())
            elif kind == "cookie":
                value = _cookie(ex.header("cookie"), str(up.get("hash_on_cookie") or ""))
            elif kind == "path":
                value = ex.path.decode("latin-1")
            elif kind == "query_arg":
                value = self.kong(ex).request.get_query_arg(str(up.get(prefix + "_query_arg") or ""))
            elif kind == "uri_capture":
                captures = (ex.match.uri_captures if ex.match else None) or {}
                found = (captures.get("named") or {}).get(str(up.get(prefix + "_uri_capture") or ""))
                value = str(found) if found is not None else None
            if value:
                return value
        return None

    def forwarded(self, ex: Exchange, lower: bytes) -> str | None:
        """A client-sent X-Forwarded-* value, only when the peer is a trusted proxy."""
        if not self.has_trusted or not self.trusted.is_trusted(ex.peer):
            return None
        for name, value in ex.headers:
            if name.lower() == lower:
                return value.decode("latin-1")
        return None

    def request_head(self, ex: Exchange) -> bytes:
        """The request line and headers sent upstream."""
        conn = ex.conn
        query = ex.upstream_query if ex.upstream_query is not None else ex.query
        info = ex.target_info
        if (
            info is not None
            and info.host_header is not None
            and ex.upstream_host_header is None
            and not info.preserve_host
            and ex.upstream_host is info.host
            and ex.upstream_port == info.port
        ):
            host = info.host_header
        else:
            host = self._host_header(ex)
        parts: list[bytes] = [
            ex.upstream_method or ex.method,
            b" ",
            ex.upstream_path.encode("latin-1"),
            b"?" + query if query else b"",
            b" HTTP/1.1\r\nHost: ",
            host,
            b"\r\n",
        ]
        xff: bytes | None = None
        forwarded: dict[bytes, bytes] | None = None
        trusted = self.has_trusted and self.trusted.is_trusted(ex.peer)
        edits = ex.service_edits
        edited = edits.values if edits else None  # names plugins set or cleared: their new values go last
        append = parts.append
        kinds = _REQUEST_KINDS
        for name, value in ex.headers:
            kind = kinds.get(name)
            if kind is None:
                kind = _request_kind(name)
            if kind:
                if kind == _FORWARDED_FOR:
                    xff = value if xff is None else xff + b", " + value
                elif kind == _FORWARDED and trusted:
                    if forwarded is None:
                        forwarded = {}
                    forwarded.setdefault(name.lower(), value)
                continue
            if edited is not None and name.lower() in edited:
                continue
            append(name)
            append(b": ")
            append(value)
            append(b"\r\n")
        if edits:
            for name, value in edits.apply(()):
                append(name + b": " + value + b"\r\n")
        if ex.real_ip is ex.peer and xff is None:
            append(conn.client_ip_headers)
        else:
            real_ip = ex.real_ip.encode("latin-1")
            append(b"X-Real-IP: " + real_ip + b"\r\nX-Forwarded-For: ")
            append(xff + b", " + ex.peer.encode("latin-1") if xff is not None else real_ip)
            append(b"\r\n")
        host_only = ex.host
        if host_only == conn.last_host:
            host_only = conn.last_host_only
        else:
            conn.last_host = host_only
            if host_only.startswith(b"["):
                host_only = host_only.partition(b"]")[0] + b"]"
            elif host_only.count(b":") == 1:
                host_only = host_only.partition(b":")[0]
            conn.last_host_only = host_only
        if forwarded is None:
            append(conn.forwarded_headers)
            append(b"X-Forwarded-Host: " + host_only + b"\r\nX-Forwarded-Path: " + ex.path + b"\r\n")
            prefix = None
        else:
            get = forwarded.get
            append(b"X-Forwarded-Proto: " + (get(b"x-forwarded-proto") or conn.scheme_bytes) + b"\r\n")
            append(b"X-Forwarded-Host: " + (get(b"x-forwarded-host") or host_only) + b"\r\n")
            append(b"X-Forwarded-Port: " + (get(b"x-forwarded-port") or conn.server_port_bytes) + b"\r\n")
            append(b"X-Forwarded-Path: " + (get(b"x-forwarded-path") or ex.path) + b"\r\n")
            prefix = get(b"x-forwarded-prefix")
        match = ex.match
        if prefix is None and match is not None and match.matched_prefix:
            prefix = match.matched_prefix.encode("latin-1")
        if prefix:
            append(b"X-Forwarded-Prefix: " + prefix + b"\r\n")
        if ex.replaced_body is not None:
            append(b"Content-Length: %d\r\n" % len(ex.replaced_body))
        elif ex.content_length >= 0:
            append(b"Content-Length: %d\r\n" % ex.content_length)
        elif ex.chunked_in:
            append(b"Transfer-Encoding: chunked\r\n")
        if ex.upgrade:
            upgrade = ex.header("upgrade") or "websocket"
            append(b"Connection: keep-alive, Upgrade\r\nUpgrade: " + upgrade.encode("latin-1") + b"\r\n\r\n")
        else:
            append(b"Connection: keep-alive\r\n\r\n")
        return b"".join(parts)

    def _host_header(self, ex: Exchange) -> bytes:
        if ex.upstream_host_header:
            return ex.upstream_host_header.encode("latin-1")
        info = ex.target_info
        if info is not None and info.preserve_host and ex.host:
            return ex.host
        if (
            info is not None
            and info.host_header is not None
            and ex.upstream_host is info.host
            and ex.upstream_port == info.port
        ):
            return info.host_header
        balancer = ex.balancer
        if balancer is not None:
            if balancer.upstream.get("host_header"):
                return str(balancer.upstream["host_header"]).encode("latin-1")
            target = ex.target
            if target is not None:  # Kong sends the chosen target's host and port
                return host_with_port(target.host, target.port, ex.upstream_scheme)
        return host_with_port(ex.upstream_host, ex.upstream_port, ex.upstream_scheme)

    # -- responses ------------------------------------------------------------------------------------------
    def response_head(self, ex: Exchange, generated_length: int | None = None) -> bytes:
        status = ex.status
        parts = [_STATUS_LINES.get(status) or status_line(status)]
        append = parts.append
        edits = ex.resp_edits
        headers = edits.apply(ex.resp_headers) if edits else ex.resp_headers
        if generated_length is None:
            framed = False
            length_known = False
            has_body_filter = ex.has_body_filter
            kinds = _RESPONSE_KINDS
            for name, value in headers:
                kind = kinds.get(name)
                if kind is None:
                    kind = _response_kind(name)
                if kind:
                    if kind == _HOP:
                        continue
                    if kind == _TRANSFER_ENCODING:
                        framed = True
                        continue
                    if kind == _UPGRADE_HEADER:
                        if status != 101:
                            continue
                    else:  # Content-Length
                        framed = True
                        if has_body_filter:
                            continue
                        length_known = True
                append(name)
                append(b": ")
                append(value)
                append(b"\r\n")
            ex.upstream_framed = framed
            if status == 101 or ex.method == b"HEAD" or status == 204 or status == 304 or length_known:
                pass
            elif ex.http_11:
                ex.chunked_out = True
                append(b"Transfer-Encoding: chunked\r\n")
            else:
                ex.close_after = True
            if self.default_tokens:  # the default `headers`: one format for Via and both latencies
                append(
                    self.default_tokens
                    % (
                        int((ex.upstream_first_byte - ex.upstream_start) * 1000),
                        int((ex.upstream_start - ex.start) * 1000),
                    )
                )
            else:
                if self.via:
                    append(self.via)
                if self.upstream_latency:
                    upstream_ms = int((ex.upstream_first_byte - ex.upstream_start) * 1000)
                    append(b"X-Kong-Upstream-Latency: %d\r\n" % upstream_ms)
                if self.proxy_latency:
                    append(b"X-Kong-Proxy-Latency: %d\r\n" % int((ex.upstream_start - ex.start) * 1000))
            if self.upstream_status:
                append(b"X-Kong-Upstream-Status: %d\r\n" % ex.resp_status)
        else:
            for name, value in headers:
                lowered = name.lower()
                if lowered in RESPONSE_HOP_BY_HOP or lowered == b"content-length":
                    if status == 426 and lowered in (b"connection", b"upgrade"):
                        append(name + b": " + value + b"\r\n")
                    continue
                append(name + b": " + value + b"\r\n")
            if status != 204 and status != 304 and status >= 200:
                append(b"Content-Length: %d\r\n" % generated_length)
            append(_http_date())
            if self.server:
                append(self.server)
            if self.response_latency:
                append(b"X-Kong-Response-Latency: %d\r\n" % int((self.loop.time() - ex.start) * 1000))
        if ex.kong_debug and ex.route is not None:
            parts += _debug_headers(ex)
        if status != 101:
            if ex.close_after or not ex.keep_alive or ex.conn.closing:
                ex.close_after = True
                append(b"Connection: close\r\n")
            elif not ex.http_11:
                append(b"Connection: keep-alive\r\n")
        append(b"\r\n")
        return b"".join(parts)

    def respond_error(self, ex: Exchange, status: int, message: str | None, *, kong_exit: bool = False) -> None:
        """A proxy-generated error in Kong's format; `kong_exit` errors default to JSON like
        `kong.response.error`, the others (nginx-level) to `error_default_type`."""
        if ex.finished or ex.head_sent:
            return
        default = "application/json" if kong_exit else self.settings.error_default_type
        text = message if message is not None else message_for(status)
        body, ctype = render_error(status, text, self._accept(ex), default)
        ex.error_message = text
        ex.respond(status, body, [(b"Content-Type", ctype)], "error")

    @staticmethod
    def _accept(ex: Exchange) -> str | None:
        return ex.accept.decode("latin-1") if ex.accept is not None else None

    def close(self) -> None:
        if self._watch_timer is not None:
            self._watch_timer.cancel()
            self._watch_timer = None
        self.pool.close()
        for task in list(self._tasks):
            task.cancel()


# Header names as received -> what the proxy does with them, memoized (names repeat; the cap bounds memory).
_HOP, _TRANSFER_ENCODING, _UPGRADE_HEADER, _CONTENT_LENGTH = 1, 2, 3, 4
_FORWARDED_FOR, _FORWARDED = 2, 3
_RESPONSE_KINDS: dict[bytes, int] = {}
_REQUEST_KINDS: dict[bytes, int] = {}
_KIND_CACHE_LIMIT: Final = 4096


def _response_kind(name: bytes) -> int:
    lowered = name.lower()
    if lowered == b"transfer-encoding":
        kind = _TRANSFER_ENCODING
    elif lowered in (b"connection", b"upgrade"):
        kind = _UPGRADE_HEADER
    elif lowered in RESPONSE_HOP_BY_HOP:
        kind = _HOP
    elif lowered == b"content-length":
        kind = _CONTENT_LENGTH
    else:
        kind = 0
    if len(_RESPONSE_KINDS) < _KIND_CACHE_LIMIT:
        _RESPONSE_KINDS[name] = kind
    return kind


def _request_kind(name: bytes) -> int:
    lowered = name.lower()
    if lowered == b"x-forwarded-for":
        kind = _FORWARDED_FOR
    elif lowered.startswith(b"x-forwarded-"):
        kind = _FORWARDED if lowered in HOP_BY_HOP else 0
    elif lowered in HOP_BY_HOP:
        kind = _HOP
    else:
        kind = 0
    if len(_REQUEST_KINDS) < _KIND_CACHE_LIMIT:
        _REQUEST_KINDS[name] = kind
    return kind


_IDENTITY_HEADERS: Final = tuple(
    (name.lower().encode(), name)
    for name in (
        "X-Consumer-ID",
        "X-Consumer-Custom-ID",
        "X-Consumer-Username",
        "X-Anonymous-Consumer",
        "X-Credential-Identifier",
    )
)
# Callers whose identity headers are already encoded: the rows of kong.cache (and of openid-connect verdicts)
# are the same objects request after request. An entry holds its rows, so their ids cannot be reused.
_IDENTITY_MEMO_SIZE = 1024


def _identity_headers(
    consumer: dict[str, Any] | None, credential: dict[str, Any] | None, anonymous: bool
) -> HeaderEdits:
    ops: list[tuple[str, str, str]] = []
    if consumer is not None:
        ops.append(("set", "X-Consumer-ID", str(consumer.get("id"))))
        for name, field in (("X-Consumer-Custom-ID", "custom_id"), ("X-Consumer-Username", "username")):
            value = consumer.get(field)
            if value is not None:
                ops.append(("set", name, str(value)))
        if anonymous:
            ops.append(("set", "X-Anonymous-Consumer", "true"))
    credential_id = credential.get("id") if credential is not None else None
    if credential_id is not None:
        ops.append(("set", "X-Credential-Identifier", str(credential_id)))
    return HeaderEdits.prepared(ops)


_DATE: list[Any] = [0, b""]


def _http_date() -> bytes:
    """`Date: ...` for generated responses, formatted once per second."""
    now = int(time.time())
    if _DATE[0] != now:
        _DATE[0] = now
        _DATE[1] = b"Date: " + email.utils.formatdate(now, usegmt=True).encode() + b"\r\n"
    value: bytes = _DATE[1]
    return value


def _debug_headers(ex: Exchange) -> list[bytes]:
    out: list[bytes] = []
    route = ex.route or {}
    service = ex.service or {}
    for header, row in ((b"Kong-Route-Id", route), (b"Kong-Service-Id", service)):
        if row.get("id"):
            out += (header, b": ", str(row["id"]).encode("latin-1"), b"\r\n")
    for header, row in ((b"Kong-Route-Name", route), (b"Kong-Service-Name", service)):
        if row.get("name"):
            out += (header, b": ", str(row["name"]).encode("latin-1"), b"\r\n")
    return out


def _cookie(header: str | None, name: str) -> str | None:
    if not header or not name:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
