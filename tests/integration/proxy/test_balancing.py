"""Upstreams and targets: weighted round-robin, retries across targets, passive health, consistent hashing."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.proxy_harness import ProxyHarness


@pytest.fixture
async def trio() -> AsyncIterator[list[EchoUpstream]]:
    servers = [await EchoUpstream(name).start() for name in ("a", "b", "c")]
    yield servers
    for server in servers:
        await server.stop()


def _dead_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def _upstream(h: ProxyHarness, targets: list[tuple[int, int]], retries: int = 3, **fields: Any) -> dict[str, Any]:
    upstream = h.add("upstreams", {"name": "backend.test", **fields})
    for port, weight in targets:
        h.add("targets", {"upstream": {"id": upstream["id"]}, "target": f"127.0.0.1:{port}", "weight": weight})
    service = h.service("http://backend.test:80", retries=retries)
    h.route(service, paths=["/"])
    return upstream


async def test_weighted_round_robin_follows_the_weights(trio: list[EchoUpstream]) -> None:
    async with ProxyHarness() as h:
        _upstream(h, [(trio[0].port, 300), (trio[1].port, 100), (trio[2].port, 0)])
        await h.start()
        seen = collections.Counter()
        for _ in range(40):
            response = await h.client.get("/")
            seen[response.headers["x-upstream-name"]] += 1
        assert seen == {"a": 30, "b": 10}


async def test_host_header_is_the_target_unless_the_upstream_sets_host_header(trio: list[EchoUpstream]) -> None:
    async with ProxyHarness() as h:
        _upstream(h, [(trio[0].port, 100)])
        await h.start()
        response = await h.client.get("/")
        assert response.json()["headers"]["host"] == f"127.0.0.1:{trio[0].port}"
    async with ProxyHarness() as h:
        _upstream(h, [(trio[0].port, 100)], host_header="api.internal")
        await h.start()
        response = await h.client.get("/")
        assert response.json()["headers"]["host"] == "api.internal"


async def test_a_dead_target_is_retried_on_the_next_one(trio: list[EchoUpstream]) -> None:
    async with ProxyHarness() as h:
        _upstream(h, [(_dead_port(), 100), (trio[0].port, 100)])
        await h.start()
        for _ in range(6):
            response = await h.client.get("/")
            assert response.status_code == 200
            assert response.headers["x-upstream-name"] == "a"


async def test_passive_health_checks_take_a_failing_target_out(trio: list[EchoUpstream]) -> None:
    checks = {"passive": {"unhealthy": {"tcp_failures": 1}}}
    async with ProxyHarness() as h:
        upstream = _upstream(h, [(trio[0].port, 100), (trio[1].port, 100)], healthchecks=checks)
        await h.start()
        await trio[1].stop()
        for _ in range(6):
            response = await h.client.get("/")
            assert response.status_code == 200
            assert response.headers["x-upstream-name"] == "a"
        assert not h.runtime.health(upstream["id"], f"127.0.0.1:{trio[1].port}").healthy
        assert h.runtime.health(upstream["id"], f"127.0.0.1:{trio[0].port}").healthy


async def test_passive_http_failures_mark_a_target_unhealthy(trio: list[EchoUpstream]) -> None:
    checks = {"passive": {"unhealthy": {"http_failures": 2, "http_statuses": [500]}}}
    async with ProxyHarness() as h:
        upstream = _upstream(h, [(trio[0].port, 100)], healthchecks=checks)
        await h.start()
        assert (await h.client.get("/status/500")).status_code == 500
        assert h.runtime.health(upstream["id"], f"127.0.0.1:{trio[0].port}").healthy
        assert (await h.client.get("/status/500")).status_code == 500
        assert not h.runtime.health(upstream["id"], f"127.0.0.1:{trio[0].port}").healthy
        assert (await h.client.get("/")).status_code == 503


async def test_all_targets_unhealthy_gives_503_ring_balancer_failure() -> None:
    checks = {"passive": {"unhealthy": {"tcp_failures": 1}}}
    async with ProxyHarness() as h:
        _upstream(h, [(_dead_port(), 100), (_dead_port(), 100)], retries=0, healthchecks=checks)
        await h.start()
        assert (await h.client.get("/")).status_code == 502
        assert (await h.client.get("/")).status_code == 502
        third = await h.client.get("/")
        assert third.status_code == 503
        assert third.json() == {"message": "failure to get a peer from the ring-balancer"}


async def test_health_survives_a_configuration_reload() -> None:
    checks = {"passive": {"unhealthy": {"tcp_failures": 1}}}
    async with ProxyHarness() as h:
        _upstream(h, [(_dead_port(), 100)], retries=0, healthchecks=checks)
        await h.start()
        assert (await h.client.get("/")).status_code == 502
        h.reload()
        assert (await h.client.get("/")).status_code == 503


async def test_consistent_hashing_on_a_header_is_sticky(trio: list[EchoUpstream]) -> None:
    async with ProxyHarness() as h:
        _upstream(
            h,
            [(s.port, 100) for s in trio],
            algorithm="consistent-hashing",
            hash_on="header",
            hash_on_header="X-User",
        )
        await h.start()
        chosen: dict[str, set[str]] = {}
        for user in [f"user-{i}" for i in range(20)]:
            for _ in range(3):
                response = await h.client.get("/", headers={"X-User": user})
                chosen.setdefault(user, set()).add(response.headers["x-upstream-name"])
        assert all(len(servers) == 1 for servers in chosen.values())
        assert len({next(iter(s)) for s in chosen.values()}) > 1


async def test_least_connections_spreads_concurrent_requests() -> None:
    """Six requests held at the upstreams until all six arrived: least-connections must split them 3/3."""
    arrived = 0
    all_in = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    def server(name: bytes) -> Any:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal arrived
            writers.append(writer)
            with contextlib.suppress(Exception):
                while True:
                    await reader.readuntil(b"\r\n\r\n")
                    arrived += 1
                    if arrived == 6:
                        all_in.set()
                    await asyncio.wait_for(all_in.wait(), 10)
                    writer.write(b"HTTP/1.1 200 OK\r\nX-Upstream-Name: %b\r\nContent-Length: 0\r\n\r\n" % name)
                    await writer.drain()
            writer.close()

        return handle

    servers = [await asyncio.start_server(server(n), "127.0.0.1", 0) for n in (b"a", b"b")]
    try:
        async with ProxyHarness() as h:
            ports = [int(s.sockets[0].getsockname()[1]) for s in servers]
            _upstream(h, [(ports[0], 100), (ports[1], 100)], algorithm="least-connections")
            await h.start()
            responses = await asyncio.gather(*(h.client.get("/") for _ in range(6)))
            names = collections.Counter(r.headers["x-upstream-name"] for r in responses)
            assert names == {"a": 3, "b": 3}
    finally:
        for writer in writers:
            writer.close()
        for s in servers:
            s.close()
        await asyncio.sleep(0.05)


async def test_active_probes_take_a_target_out_and_bring_it_back(trio: list[EchoUpstream]) -> None:
    checks = {
        "active": {
            "http_path": "/status/200",
            "timeout": 1,
            "healthy": {"interval": 0.05, "successes": 1},
            "unhealthy": {"interval": 0.05, "tcp_failures": 1, "http_failures": 1},
        }
    }
    async with ProxyHarness() as h:
        upstream = _upstream(h, [(trio[0].port, 100), (trio[1].port, 100)], healthchecks=checks)
        await h.start()
        health = h.runtime.health(upstream["id"], f"127.0.0.1:{trio[1].port}")
        trio[1].status_override = 500
        await _until(lambda: not health.healthy)
        names = {(await h.client.get("/")).headers["x-upstream-name"] for _ in range(6)}
        assert names == {"a"}
        trio[1].status_override = None
        await _until(lambda: health.healthy)
        names = {(await h.client.get("/")).headers["x-upstream-name"] for _ in range(6)}
        assert names == {"a", "b"}


async def _until(predicate: Any) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")
