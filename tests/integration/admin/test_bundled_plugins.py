"""The Admin API with sekisho's real bundled plugins (their schemas and credential entities)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sekisho.plugins.registry import PluginRegistry
from sekisho.store.declarative import DeclarativeService
from tests.integration.admin.support import Admin, AdminFactory


@pytest.fixture
async def bundled(admin_factory: AdminFactory) -> AsyncIterator[Admin]:
    async with admin_factory("sqlite", plugins=PluginRegistry.load(["bundled"])) as admin:
        yield admin


async def test_kong_quickstart_with_the_real_key_auth(bundled: Admin) -> None:
    client = bundled.client
    assert (
        await client.post("/services", data={"name": "example_service", "url": "http://mockbin.org"})
    ).status_code == 201
    assert (await client.post("/services/example_service/routes", data={"paths[]": "/mock"})).status_code == 201
    res = await client.post(
        "/services/example_service/plugins", data={"name": "key-auth", "config.key_names": "apikey"}
    )
    assert res.status_code == 201, res.text
    assert res.json()["config"]["key_names"] == ["apikey"]
    assert (await client.post("/consumers", data={"username": "consumer", "custom_id": "consumer"})).status_code == 201
    res = await client.post("/consumers/consumer/key-auth", data={"key": "apikey"})
    assert res.status_code == 201, res.text
    assert (await client.get("/key-auths/apikey")).json()["consumer"] == res.json()["consumer"]
    enabled = (await client.get("/")).json()["plugins"]
    assert enabled["enabled_in_cluster"] == ["key-auth"]
    assert {"key-auth", "basic-auth", "acl", "openid-connect"} <= set(enabled["available_on_server"])


async def test_credentials_and_groups_under_consumers(bundled: Admin) -> None:
    client = bundled.client
    await client.post("/consumers", json={"username": "alice"})
    res = await client.post("/consumers/alice/basic-auth", data={"username": "alice", "password": "s3cret"})
    assert res.status_code == 201, res.text
    assert res.json()["password"] != "s3cret"  # stored hashed, never echoed back in clear
    listed = (await client.get("/basic-auths")).json()["data"]
    assert [c["username"] for c in listed] == ["alice"]
    res = await client.post("/consumers/alice/acls", json={"group": "admins"})
    assert res.status_code == 201, res.text
    assert (await client.get("/consumers/alice/acls")).json()["data"][0]["group"] == "admins"


async def test_plugin_schemas_of_bundled_plugins(bundled: Admin) -> None:
    paths = (await bundled.client.get("/endpoints")).json()["data"]
    assert "/consumers/{consumers}/basic-auth" in paths and "/basic-auths/{basicauth_credentials}" in paths
    for name in PluginRegistry.load(["bundled"]).names():
        res = await bundled.client.get(f"/schemas/plugins/{name}")
        assert res.status_code == 200, name
        fields = {k for item in res.json()["fields"] for k in item}
        assert {"config", "protocols", "name"} <= fields
    res = await bundled.client.post("/schemas/plugins/validate", json={"name": "cors", "config": {"origins": 5}})
    assert res.status_code == 400 and "origins" in res.json()["fields"]["config"]


@pytest.mark.parametrize("strategy", ["sqlite", "postgres"])
async def test_acls_addressed_by_group_under_their_consumer(admin_factory: AdminFactory, strategy: str) -> None:
    async with admin_factory(strategy, plugins=PluginRegistry.load(["bundled"])) as admin:
        client = admin.client
        alice = (await client.post("/consumers", json={"username": "alice"})).json()
        bob = (await client.post("/consumers", json={"username": "bob"})).json()
        admins = (await client.post("/consumers/alice/acls", json={"group": "admins"})).json()
        bobs = (await client.post("/consumers/bob/acls", json={"group": "admins"})).json()
        assert (await client.get("/consumers/alice/acls/admins")).json() == admins
        assert (await client.get(f"/consumers/{bob['id']}/acls/admins")).json() == bobs
        assert (await client.get("/consumers/alice/acls/ops")).status_code == 404

        res = await client.patch("/consumers/alice/acls/admins", json={"tags": ["t1"]})
        assert res.status_code == 200, res.text
        assert res.json()["id"] == admins["id"] and res.json()["tags"] == ["t1"]
        assert (await client.patch("/consumers/alice/acls/ops", json={"tags": ["t1"]})).status_code == 404

        res = await client.put("/consumers/alice/acls/admins", json={"group": "ignored", "tags": ["t2"]})
        assert res.status_code == 200, res.text
        assert res.json()["id"] == admins["id"] and res.json()["group"] == "admins" and res.json()["tags"] == ["t2"]
        res = await client.put("/consumers/alice/acls/ops", json={})
        assert res.status_code == 200, res.text
        assert res.json()["group"] == "ops" and res.json()["consumer"] == {"id": alice["id"]}

        assert (await client.delete("/consumers/alice/acls/admins")).status_code == 204
        assert (await client.get("/consumers/alice/acls/admins")).status_code == 404
        assert (await client.get(f"/acls/{bobs['id']}")).json() == bobs
        groups = sorted(a["group"] for a in (await client.get("/consumers/alice/acls")).json()["data"])
        assert groups == ["ops"]


async def test_acls_by_group_in_dbless_mode(admin_factory: AdminFactory) -> None:
    async with admin_factory("off", plugins=PluginRegistry.load(["bundled"])) as admin:
        admin.ctx.declarative = DeclarativeService(admin.db)
        config = {"_format_version": "2.1", "consumers": [{"username": "alice", "acls": [{"group": "admins"}]}]}
        assert (await admin.client.post("/config", json=config)).status_code == 201
        client = admin.client
        acl = (await client.get("/consumers/alice/acls/admins")).json()
        assert acl["group"] == "admins"
        res = await client.patch("/consumers/alice/acls/admins", json={"group": 5})
        assert res.status_code == 400, res.text
        res = await client.patch("/consumers/alice/acls/admins", json={"tags": ["t1"]})
        assert (
            res.status_code == 405
            and res.json()["message"] == "cannot update 'acls' entities when not using a database"
        )
        assert (await client.delete("/consumers/alice/acls/ops")).status_code == 404
        assert (await client.delete("/consumers/alice/acls/admins")).status_code == 405
