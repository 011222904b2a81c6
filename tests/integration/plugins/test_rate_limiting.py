"""rate-limiting (local policy) through a real proxy.

Limits are per hour or day, so a test never straddles a window boundary in practice."""

from __future__ import annotations

import uuid
from pathlib import Path

from sekisho.proxy.settings import ProxySettings
from tests.integration.plugins.support import Gateway, running_gateway


async def test_limit_is_enforced_with_kongs_headers(gw: Gateway) -> None:
    route = await gw.route("/rl")
    await gw.plugin("rate-limiting", {"hour": 2, "day": 10}, route={"id": route["id"]})
    first = await gw.client.get("/rl")
    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit-hour"] == "2"
    assert first.headers["x-ratelimit-remaining-hour"] == "1"
    assert first.headers["x-ratelimit-limit-day"] == "10"
    assert first.headers["x-ratelimit-remaining-day"] == "9"
    assert first.headers["ratelimit-limit"] == "2" and first.headers["ratelimit-remaining"] == "1"
    assert 1 <= int(first.headers["ratelimit-reset"]) <= 3600

    second = await gw.client.get("/rl")
    assert second.status_code == 200 and second.headers["x-ratelimit-remaining-hour"] == "0"

    refused = await gw.client.get("/rl")
    assert refused.status_code == 429
    assert refused.json() == {"message": "API rate limit exceeded"}
    assert refused.headers["x-ratelimit-remaining-hour"] == "0"
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]


async def test_limit_by_header_counts_callers_apart(gw: Gateway) -> None:
    route = await gw.route("/per-tenant")
    config = {"hour": 1, "limit_by": "header", "header_name": "X-Tenant", "hide_client_headers": True}
    await gw.plugin("rate-limiting", config, route={"id": route["id"]})
    a = await gw.client.get("/per-tenant", headers={"X-Tenant": "a"})
    assert a.status_code == 200 and "x-ratelimit-limit-hour" not in a.headers
    assert (await gw.client.get("/per-tenant", headers={"X-Tenant": "b"})).status_code == 200
    refused = await gw.client.get("/per-tenant", headers={"X-Tenant": "a"})
    assert refused.status_code == 429 and "retry-after" not in refused.headers


async def test_limit_by_consumer_and_custom_error(gw: Gateway) -> None:
    route = await gw.route("/per-consumer")
    await gw.plugin("key-auth", route={"id": route["id"]})
    config = {"hour": 1, "error_code": 503, "error_message": "slow down"}
    await gw.plugin("rate-limiting", config, route={"id": route["id"]})
    for name in ("alice", "bob"):
        consumer = await gw.consumer(name)
        await gw.add("keyauth_credentials", {"consumer": {"id": consumer["id"]}, "key": name})
    assert (await gw.client.get("/per-consumer", headers={"apikey": "alice"})).status_code == 200
    assert (await gw.client.get("/per-consumer", headers={"apikey": "bob"})).status_code == 200
    refused = await gw.client.get("/per-consumer", headers={"apikey": "alice"})
    assert refused.status_code == 503 and refused.json() == {"message": "slow down"}


async def test_routes_are_counted_apart(gw: Gateway) -> None:
    one = await gw.route("/one")
    two = await gw.route("/two")
    for route in (one, two):
        await gw.plugin("rate-limiting", {"hour": 1, "limit_by": "ip"}, route={"id": route["id"]})
    assert (await gw.client.get("/one")).status_code == 200
    assert (await gw.client.get("/two")).status_code == 200
    assert (await gw.client.get("/one")).status_code == 429


async def test_consumer_scoped_limit_overrides_the_route_limit(gw: Gateway) -> None:
    route = await gw.route("/tiers")
    await gw.plugin("key-auth", route={"id": route["id"]})
    await gw.plugin("rate-limiting", {"hour": 5}, route={"id": route["id"]})
    gold = await gw.consumer("gold")
    free = await gw.consumer("free")
    for consumer in (gold, free):
        await gw.add("keyauth_credentials", {"consumer": {"id": consumer["id"]}, "key": consumer["username"]})
    await gw.plugin("rate-limiting", {"hour": 1}, route={"id": route["id"]}, consumer={"id": free["id"]})
    first = await gw.client.get("/tiers", headers={"apikey": "free"})
    assert first.headers["x-ratelimit-limit-hour"] == "1"
    assert (await gw.client.get("/tiers", headers={"apikey": "free"})).status_code == 429
    gold_response = await gw.client.get("/tiers", headers={"apikey": "gold"})
    assert gold_response.status_code == 200 and gold_response.headers["x-ratelimit-limit-hour"] == "5"


async def test_local_counters_are_shared_by_the_workers_of_a_node(tmp_path: Path) -> None:
    """Two workers of one node (same node id, separate processes' state) count together, as Kong's `local`."""
    settings = ProxySettings(node_id=str(uuid.uuid4()))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ids = {name: str(uuid.uuid4()) for name in ("service", "route", "plugin")}
    async with (
        running_gateway(tmp_path / "a", settings) as first,
        running_gateway(tmp_path / "b", settings) as second,
    ):
        for gw in (first, second):
            await gw.add("services", {"id": ids["service"], "url": gw.upstream})
            route = {"id": ids["route"], "paths": ["/node"], "service": {"id": ids["service"]}}
            await gw.add("routes", route)
            config = {"hour": 3, "limit_by": "ip"}
            await gw.plugin("rate-limiting", config, id=ids["plugin"], route={"id": ids["route"]})
        assert (await first.client.get("/node")).status_code == 200
        assert (await second.client.get("/node")).status_code == 200
        third = await first.client.get("/node")
        assert third.status_code == 200 and third.headers["x-ratelimit-remaining-hour"] == "0"
        assert (await second.client.get("/node")).status_code == 429
