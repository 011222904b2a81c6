"""The proxy's hot path in one process, without sockets: Python cost per request, repeatable to a few percent.

Load benchmarks on a shared 2-core machine move by 20 % between runs; this drives the real `ClientProtocol`,
`Pipeline` and plugins of a node's configuration with in-memory transports, so two versions of the code
can be compared on the work they do, not on what else the machine did. It needs a node prefix that
`sekisho start` prepared (the benchmark harness's `--keep` leaves them in its temp dir): its effective
configuration, declarative file and cluster secret, so a session cookie minted by that node opens here.

    python -m bench.hotpath PREFIX [-H 'Authorization: Bearer ...'] [-n 20000] [--profile]

The first request goes to the real upstream (discovery, JWKS and consumer lookups happen then, as in a
live worker); the measured ones are answered by a canned upstream response written straight into the
pooled connection, so no system call is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from sekisho.app import (
    adopt_shared_cluster_secret,
    build_parts,
    load_startup_declarative,
    proxy_settings,
    start_proxy,
)
from sekisho.config import config_from_env_file
from sekisho.node.prefix import prepared_prefix_of
from sekisho.proxy import ProxyServer
from sekisho.proxy.server import ClientProtocol

UPSTREAM_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Thu, 26 Nov 2026 17:47:35 GMT\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 24\r\nConnection: keep-alive\r\n\r\nhello from the upstream\n"
)


class MemoryTransport:
    """Enough of asyncio.Transport for the proxy: writes are kept, not sent."""

    def __init__(self, peer: tuple[str, int], local: tuple[str, int]) -> None:
        self.written: list[bytes] = []
        self._extra = {"peername": peer, "sockname": local}
        self.closing = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._extra.get(name, default)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        return None

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True


async def _run(args: argparse.Namespace) -> int:
    prefix = Path(args.prefix)
    config = config_from_env_file(prefix)
    prepared = prepared_prefix_of(config)
    parts = build_parts(config, prepared)
    await parts.db.connect()
    await adopt_shared_cluster_secret(parts)
    await load_startup_declarative(config, parts)
    handle = await start_proxy(parts, [], access_log=None)
    server = ProxyServer(handle.runtime, proxy_settings(config, prepared))
    await server.start()
    port = config.proxy_listen[0].port if config.proxy_listen else 8000
    head = f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    for header in args.header:
        head += header + "\r\n"
    request = (head + "\r\n").encode("latin-1")

    client = ClientProtocol(server, tls=False)
    client_transport = MemoryTransport(("127.0.0.1", 40000), ("127.0.0.1", port))
    client.connection_made(client_transport)  # type: ignore[arg-type]

    async def one(canned: bool) -> bytes:
        before = len(client_transport.written)
        client.data_received(request)
        while len(client_transport.written) == before or client.active is not None:
            waiting = (
                next((c for c in _busy(server) if isinstance(c.transport, MemoryTransport)), None) if canned else None
            )
            if waiting is None:  # the first request's real upstream, or a plugin still in a coroutine
                await asyncio.sleep(0 if canned else 0.001)
                continue
            waiting.transport.written.clear()
            waiting.data_received(UPSTREAM_RESPONSE)
        return b"".join(client_transport.written[before:])

    first = await one(canned=False)
    status = first.split(b" ", 2)[1]
    print(f"first response: {first.splitlines()[0].decode()}", file=sys.stderr)
    if not status.startswith(b"2"):
        print(first.decode("latin-1")[:2000], file=sys.stderr)
        return 1
    for conn in _idle(server):
        conn.transport = MemoryTransport(("127.0.0.1", 80), ("127.0.0.1", 40001))  # type: ignore[assignment]
    for _ in range(200):
        await one(canned=True)
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    batches: list[float] = []
    per_batch = max(1, args.n // 5)
    for _ in range(5):  # best of five batches: what the code costs, not what the machine did meanwhile
        client.requests = 0  # stay under keepalive_requests (a real client would reconnect there)
        started = time.perf_counter()
        for _ in range(per_batch):
            await one(canned=True)
        batches.append((time.perf_counter() - started) / per_batch)
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    print(f"{5 * per_batch} requests: {1e6 * min(batches):.2f} us/request (Python, no sockets; best of 5 batches)")
    return 0


def _idle(server: ProxyServer) -> list[Any]:
    return [conn for idle in server.pipeline.pool._idle.values() for conn in idle]


def _busy(server: ProxyServer) -> list[Any]:
    return [ex.upstream for ex in server.pipeline._watched if ex.upstream is not None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath", description=__doc__.splitlines()[0])
    parser.add_argument("prefix", help="a node prefix prepared by `sekisho start` (holds .sekisho_env)")
    parser.add_argument("-H", "--header", action="append", default=[], help="a request header, 'Name: value'")
    parser.add_argument("--path", default="/")
    parser.add_argument("-n", type=int, default=20000, help="measured requests (default 20000)")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured requests")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args(argv)
    try:
        import uvloop

        return uvloop.run(_run(args))
    except ImportError:
        return asyncio.run(_run(args))


if __name__ == "__main__":
    raise SystemExit(main())
