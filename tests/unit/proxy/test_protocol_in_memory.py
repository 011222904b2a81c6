"""The client and upstream protocols wired to in-memory transports: exact bytes both ways, no sockets."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from sekisho.entities import EntityRegistry
from sekisho.plugins.registry import PluginRegistry
from sekisho.proxy import ProxyServer, ProxySettings
from sekisho.proxy.exchange import Exchange
from sekisho.proxy.kong import Kong
from sekisho.proxy.pipeline import Pipeline
from sekisho.proxy.server import ClientProtocol
from sekisho.proxy.upstream import UpstreamConnection
from sekisho.runtime import Runtime


class MemoryTransport:
    def __init__(self, peer: tuple[str, int], local: tuple[str, int]) -> None:
        self.extra = {"peername": peer, "sockname": local}
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def take(self) -> bytes:
        data = b"".join(self.written)
        self.written.clear()
        return data

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


class Wired:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        plugins = PluginRegistry(())
        registry = EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)
        service = registry["services"].insert({"url": "http://10.0.0.9:8080/base"})
        route = registry["routes"].insert({"paths": ["/api"], "service": {"id": service["id"]}})
        runtime = Runtime(plugins)
        runtime.load({"services": [service], "routes": [route]})
        server = ProxyServer(runtime, ProxySettings(server_token="kong/test"))
        server.loop = loop
        server.pipeline = Pipeline(runtime, server.settings, loop, None)
        self.client = ClientProtocol(server, tls=False)
        self.client_transport = MemoryTransport(("192.0.2.7", 50000), ("10.0.0.1", 8000))
        self.client.connection_made(self.client_transport)  # type: ignore[arg-type]
        self.upstream = UpstreamConnection(server.pipeline.pool, ("10.0.0.9", 8080, None, None))
        self.upstream_transport = MemoryTransport(("10.0.0.9", 8080), ("10.0.0.1", 40000))
        self.upstream.connection_made(self.upstream_transport)  # type: ignore[arg-type]
        server.pipeline.pool.release(self.upstream)
        self.pipeline = server.pipeline


@pytest.fixture
def wired() -> Iterator[Wired]:
    loop = asyncio.new_event_loop()
    try:
        yield Wired(loop)
    finally:
        loop.close()


RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello"


def test_exact_bytes_upstream_and_back(wired: Wired) -> None:
    wired.client.data_received(b"GET /api/items?x=1 HTTP/1.1\r\nHost: gw.example\r\nX-Consumer-ID: forged\r\n\r\n")
    assert wired.upstream_transport.take() == (
        b"GET /base/items?x=1 HTTP/1.1\r\nHost: 10.0.0.9:8080\r\n"
        b"X-Real-IP: 192.0.2.7\r\nX-Forwarded-For: 192.0.2.7\r\n"
        b"X-Forwarded-Proto: http\r\nX-Forwarded-Port: 8000\r\n"
        b"X-Forwarded-Host: gw.example\r\nX-Forwarded-Path: /api/items\r\nX-Forwarded-Prefix: /api\r\n"
        b"Connection: keep-alive\r\n\r\n"
    )
    wired.upstream.data_received(RESPONSE)
    answer = wired.client_transport.take()
    head, body = answer.split(b"\r\n\r\n")
    assert body == b"hello"
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK"
    assert b"Content-Length: 5" in lines
    assert b"Via: kong/test" in lines
    assert not any(line.lower().startswith(b"connection") for line in lines)
    assert wired.pipeline.pool.take(("10.0.0.9", 8080, None, None)) is wired.upstream


def test_no_reference_cycles_per_request(wired: Wired) -> None:
    request = b"GET /api/x HTTP/1.1\r\nHost: gw.example\r\n\r\n"
    for _ in range(20):
        wired.client.data_received(request)
        wired.upstream.data_received(RESPONSE)
    gc.collect()
    gc.disable()
    try:
        for _ in range(300):
            wired.client.data_received(request)
            wired.upstream.data_received(RESPONSE)
            wired.client_transport.written.clear()
            wired.upstream_transport.written.clear()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        # Only this test's per-request objects count: earlier tests' threads may release their own graphs now.
        per_request = [o for o in gc.garbage if isinstance(o, Exchange | Kong)]
        gc.garbage.clear()
        gc.set_debug(0)
        assert per_request == []
    finally:
        gc.enable()
