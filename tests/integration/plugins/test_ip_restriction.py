"""ip-restriction through a real proxy (the test client is 127.0.0.1)."""

from __future__ import annotations

from tests.integration.plugins.support import Gateway


async def test_deny_list(gw: Gateway) -> None:
    route = await gw.route("/deny")
    await gw.plugin("ip-restriction", {"deny": ["127.0.0.0/8"]}, route={"id": route["id"]})
    response = await gw.client.get("/deny")
    assert response.status_code == 403 and response.json() == {"message": "Your IP address is not allowed"}


async def test_allow_list(gw: Gateway) -> None:
    inside = await gw.route("/inside")
    outside = await gw.route("/outside")
    await gw.plugin("ip-restriction", {"allow": ["127.0.0.1", "::1"]}, route={"id": inside["id"]})
    await gw.plugin("ip-restriction", {"allow": ["10.0.0.0/8"]}, route={"id": outside["id"]})
    assert (await gw.client.get("/inside")).status_code == 200
    assert (await gw.client.get("/outside")).status_code == 403


async def test_custom_status_and_message(gw: Gateway) -> None:
    route = await gw.route("/custom")
    config = {"deny": ["127.0.0.1"], "status": 451, "message": "not from here"}
    await gw.plugin("ip-restriction", config, route={"id": route["id"]})
    response = await gw.client.get("/custom")
    assert response.status_code == 451 and response.json() == {"message": "not from here"}


async def test_forwarded_address_is_ignored_from_untrusted_peers(gw: Gateway) -> None:
    route = await gw.route("/spoof")
    await gw.plugin("ip-restriction", {"allow": ["203.0.113.9"]}, route={"id": route["id"]})
    response = await gw.client.get("/spoof", headers={"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 403
