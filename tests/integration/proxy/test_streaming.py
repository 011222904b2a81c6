"""Large bodies stream through the proxy both ways with bounded memory (flow control)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.proxy_harness import ProxyHarness

MB = 1024 * 1024


def _rss() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class PeakRss:
    """Samples this process's RSS while a transfer runs (proxy, upstream and client all live here)."""

    def __init__(self) -> None:
        self.baseline = _rss()
        self.peak = self.baseline
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, _rss())
            await asyncio.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


async def _body(total: int, piece: int = 256 * 1024) -> AsyncIterator[bytes]:
    block = b"u" * piece
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        yield block[:size]
        sent += size


async def _upload(h: ProxyHarness, total: int, chunked: bool, pace_ms: float = 4) -> int:
    """Upload `total` bytes to an upstream that reads slower than the client sends."""
    headers = {} if chunked else {"Content-Length": str(total)}
    response = await h.client.post(f"/count?pace={pace_ms}", content=_body(total), headers=headers, timeout=120)
    assert response.status_code == 200
    received: int = response.json()["received"]
    return received


@pytest.mark.parametrize("chunked", [False, True], ids=["sized", "chunked"])
async def test_a_large_upload_streams_with_flat_memory(echo: EchoUpstream, chunked: bool) -> None:
    total = 128 * MB
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        await h.start()
        with PeakRss() as rss:
            assert await _upload(h, total, chunked) == total
        assert rss.growth < 48 * MB, f"memory grew by {rss.growth // MB} MiB"


@pytest.mark.slow
async def test_a_one_gigabyte_upload_streams_with_flat_memory(echo: EchoUpstream) -> None:
    total = 1024 * MB
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        await h.start()
        with PeakRss() as rss:
            assert await _upload(h, total, chunked=False, pace_ms=0.5) == total
        assert rss.growth < 48 * MB, f"memory grew by {rss.growth // MB} MiB"


async def test_a_large_download_streams_with_flat_memory_to_a_slow_reader(echo: EchoUpstream) -> None:
    total = 128 * MB
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        await h.start()
        with PeakRss() as rss:
            reader, writer = await asyncio.open_connection("127.0.0.1", h.port, limit=64 * 1024)
            writer.write(b"GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n" % total)
            head = await reader.readuntil(b"\r\n\r\n")
            assert b"Content-Length: %d" % total in head
            await asyncio.sleep(0.5)  # a reader that stalls: the proxy must pause the upstream, not buffer
            received = 0
            while received < total:
                piece = await reader.read(1024 * 1024)
                assert piece
                received += len(piece)
            writer.close()
        assert received == total
        assert rss.growth < 48 * MB, f"memory grew by {rss.growth // MB} MiB"
        # the upstream connection paused for the slow reader goes back to the pool readable
        for _ in range(3):
            assert (await h.client.get("/after")).status_code == 200
        assert echo.connections == 1
