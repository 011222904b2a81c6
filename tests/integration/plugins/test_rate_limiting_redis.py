"""rate-limiting with the redis policy against the real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.plugins.support import Gateway, running_gateway

pytestmark = pytest.mark.redis


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _same_route(gateways: list[Gateway], config: dict[str, Any]) -> None:
    """The same service, route and plugin (same ids) on every gateway, as workers of one node see them."""
    ids = {name: str(uuid.uuid4()) for name in ("service", "route", "plugin")}
    for gw in gateways:
        await gw.add("services", {"id": ids["service"], "url": gw.upstream})
        await gw.add(
            "routes", {"id": ids["route"], "paths": ["/shared"], "service": {"id": ids["service"]}, "strip_path": False}
        )
        await gw.add(
            "plugins", {"id": ids["plugin"], "name": "rate-limiting", "config": config, "route": {"id": ids["route"]}}
        )


async def test_counters_are_shared_between_workers(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    config = {"hour": 3, "policy": "redis", "redis_host": "127.0.0.1", "limit_by": "ip"}
    async with running_gateway(tmp_path / "a") as first, running_gateway(tmp_path / "b") as second:
        await _same_route([first, second], config)
        statuses = [
            (await first.client.get("/shared")).status_code,
            (await second.client.get("/shared")).status_code,
            (await first.client.get("/shared")).status_code,
        ]
        assert statuses == [200, 200, 200]
        refused = await second.client.get("/shared")
        assert refused.status_code == 429 and refused.json() == {"message": "API rate limit exceeded"}
        assert refused.headers["x-ratelimit-remaining-hour"] == "0"


async def test_unreachable_redis_is_tolerated_or_fatal(gw: Gateway) -> None:
    port = _closed_port()
    tolerant = await gw.route("/tolerant")
    strict = await gw.route("/strict")
    base = {"hour": 1, "policy": "redis", "redis_host": "127.0.0.1", "redis_port": port, "redis_timeout": 500}
    await gw.plugin("rate-limiting", base, route={"id": tolerant["id"]})
    await gw.plugin("rate-limiting", {**base, "fault_tolerant": False}, route={"id": strict["id"]})
    for _ in range(2):
        response = await gw.client.get("/tolerant")
        assert response.status_code == 200 and "x-ratelimit-limit-hour" not in response.headers
    failed = await gw.client.get("/strict")
    assert failed.status_code == 500 and failed.json() == {"message": "An unexpected error occurred"}
