"""acl through a real proxy, after key-auth."""

from __future__ import annotations

from typing import Any

from tests.integration.plugins.support import Gateway


async def _setup(gw: Gateway, acl: dict[str, Any]) -> dict[str, Any]:
    route = await gw.route("/acl")
    await gw.plugin("key-auth", route={"id": route["id"]})
    await gw.plugin("acl", acl, route={"id": route["id"]})
    people: dict[str, Any] = {}
    for name, groups in (("admin", ["admins", "users"]), ("user", ["users"]), ("loner", [])):
        consumer = people[name] = await gw.consumer(name)
        await gw.add("keyauth_credentials", {"consumer": {"id": consumer["id"]}, "key": f"{name}-key"})
        for group in groups:
            await gw.add("acls", {"consumer": {"id": consumer["id"]}, "group": group})
    return people


async def test_allow_list(gw: Gateway) -> None:
    await _setup(gw, {"allow": ["admins"]})
    admin = gw.echoed(await gw.client.get("/acl", headers={"apikey": "admin-key"}))
    assert sorted(admin.header("x-consumer-groups").split(", ")) == ["admins", "users"]  # type: ignore[union-attr]
    refused = await gw.client.get("/acl", headers={"apikey": "user-key"})
    assert refused.status_code == 403 and refused.json() == {"message": "You cannot consume this service"}
    loner = await gw.client.get("/acl", headers={"apikey": "loner-key"})
    assert loner.status_code == 403


async def test_deny_list_and_hidden_groups_header(gw: Gateway) -> None:
    await _setup(gw, {"deny": ["admins"], "hide_groups_header": True})
    assert (await gw.client.get("/acl", headers={"apikey": "admin-key"})).status_code == 403
    user = gw.echoed(await gw.client.get("/acl", headers={"apikey": "user-key"}))
    assert user.header("x-consumer-groups") is None
    assert (await gw.client.get("/acl", headers={"apikey": "loner-key"})).status_code == 200


async def test_group_changes_apply_to_the_next_request(gw: Gateway) -> None:
    people = await _setup(gw, {"allow": ["admins"]})
    assert (await gw.client.get("/acl", headers={"apikey": "user-key"})).status_code == 403
    await gw.add("acls", {"consumer": {"id": people["user"]["id"]}, "group": "admins"})
    assert (await gw.client.get("/acl", headers={"apikey": "user-key"})).status_code == 200


async def test_client_supplied_groups_header_is_not_trusted(gw: Gateway) -> None:
    await _setup(gw, {"allow": ["users"]})
    echoed = gw.echoed(await gw.client.get("/acl", headers={"apikey": "user-key", "X-Consumer-Groups": "admins"}))
    assert echoed.all("x-consumer-groups") == ["users"]


async def test_without_authentication_acl_answers_401(gw: Gateway) -> None:
    route = await gw.route("/open")
    await gw.plugin("acl", {"allow": ["users"]}, route={"id": route["id"]})
    response = await gw.client.get("/open")
    assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}
