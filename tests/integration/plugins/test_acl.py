"""acl through a real proxy, after key-auth."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.schema import Record
from tests.integration.plugins.support import Gateway, running_gateway


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


class GroupsFromHeader(Plugin[Mapping[str, Any]]):
    """Stands in for an authentication plugin that maps token claims to groups (like openid-connect)."""

    NAME = "test-groups"
    PRIORITY = 1000
    CONFIG = Record({})

    async def access(self, kong: PDK, conf: Mapping[str, Any]) -> None:
        groups = kong.request.get_header("x-test-groups")
        if groups is not None:
            kong.ctx.shared["authenticated_groups"] = groups.split(",")


async def test_authenticated_groups_without_a_consumer(tmp_path: Path) -> None:
    async with running_gateway(tmp_path, extra_plugins=[GroupsFromHeader]) as gw:
        route = await gw.route("/groups")
        await gw.plugin("test-groups", route={"id": route["id"]})
        await gw.plugin("acl", {"allow": ["admins"]}, route={"id": route["id"]})
        echoed = gw.echoed(await gw.client.get("/groups", headers={"X-Test-Groups": "staff,admins"}))
        assert echoed.header("x-authenticated-groups") == "staff, admins"
        assert echoed.header("x-consumer-groups") is None
        refused = await gw.client.get("/groups", headers={"X-Test-Groups": "staff"})
        assert refused.status_code == 403
        assert (await gw.client.get("/groups")).status_code == 401


async def test_consumer_groups_win_unless_always_use_authenticated_groups(tmp_path: Path) -> None:
    async with running_gateway(tmp_path, extra_plugins=[GroupsFromHeader]) as gw:
        for path, always in (("/consumer-first", False), ("/token-first", True)):
            route = await gw.route(path)
            await gw.plugin("key-auth", route={"id": route["id"]})
            await gw.plugin("test-groups", route={"id": route["id"]})
            config = {"allow": ["admins"], "always_use_authenticated_groups": always}
            await gw.plugin("acl", config, route={"id": route["id"]})
        user = await gw.consumer("user")
        await gw.add("keyauth_credentials", {"consumer": {"id": user["id"]}, "key": "user-key"})
        await gw.add("acls", {"consumer": {"id": user["id"]}, "group": "users"})
        headers = {"apikey": "user-key", "X-Test-Groups": "admins"}
        assert (await gw.client.get("/consumer-first", headers=headers)).status_code == 403
        echoed = gw.echoed(await gw.client.get("/token-first", headers=headers))
        assert echoed.header("x-authenticated-groups") == "admins"
