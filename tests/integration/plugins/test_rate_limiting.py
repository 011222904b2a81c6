"""rate-limiting (local policy) through a real proxy.

Limits are per hour or day, so a test never straddles a window boundary in practice."""

from __future__ import annotations

from tests.integration.plugins.support import Gateway


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
