"""correlation-id through a real proxy."""

from __future__ import annotations

import re
import uuid

from tests.integration.plugins.support import Gateway


async def test_uuid_counter_ids_are_sent_upstream_and_echoed(gw: Gateway) -> None:
    route = await gw.route("/cid")
    await gw.plugin("correlation-id", {"echo_downstream": True}, route={"id": route["id"]})
    first = await gw.client.get("/cid")
    second = await gw.client.get("/cid")
    ids = [gw.echoed(r).header("kong-request-id") for r in (first, second)]
    assert all(i is not None and re.fullmatch(r"[0-9a-f-]{36}#\d+", i) for i in ids)
    assert ids[0] != ids[1] and ids[0].split("#")[0] == ids[1].split("#")[0]  # type: ignore[union-attr]
    assert int(ids[1].split("#")[1]) == int(ids[0].split("#")[1]) + 1  # type: ignore[union-attr]
    assert first.headers["kong-request-id"] == ids[0]


async def test_incoming_id_is_kept_and_uuid_generator(gw: Gateway) -> None:
    route = await gw.route("/cid")
    await gw.plugin("correlation-id", {"header_name": "X-Request-ID", "generator": "uuid"}, route={"id": route["id"]})
    kept = gw.echoed(await gw.client.get("/cid", headers={"X-Request-ID": "abc"}))
    assert kept.header("x-request-id") == "abc"
    fresh = await gw.client.get("/cid")
    value = gw.echoed(fresh).header("x-request-id")
    assert value is not None and str(uuid.UUID(value)) == value
    assert "x-request-id" not in fresh.headers


async def test_tracker_generator(gw: Gateway) -> None:
    route = await gw.route("/cid")
    await gw.plugin("correlation-id", {"generator": "tracker"}, route={"id": route["id"]})
    value = gw.echoed(await gw.client.get("/cid")).header("kong-request-id")
    assert value is not None and re.fullmatch(r".+-\d+-\d+-\d+-1-\d+\.\d{3}", value)


async def test_id_is_echoed_on_responses_the_gateway_generates(gw: Gateway) -> None:
    route = await gw.route("/refused")
    await gw.plugin("correlation-id", {"echo_downstream": True}, route={"id": route["id"]})
    await gw.plugin("key-auth", route={"id": route["id"]})
    refused = await gw.client.get("/refused", headers={"Kong-Request-ID": "trace-me"})
    assert refused.status_code == 401 and refused.headers["kong-request-id"] == "trace-me"
