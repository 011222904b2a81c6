"""DB-less mode: read-only entity endpoints with Kong's messages, and `/config`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from sekisho.store.base import Database
from sekisho.store.declarative import DeclarativeService, ParsedConfig
from tests.integration.admin.support import Admin, AdminFactory

CONFIG = {
    "_format_version": "2.1",
    "services": [
        {
            "name": "example",
            "url": "http://example.test",
            "routes": [{"name": "r1", "paths": ["/mock"]}],
            "plugins": [{"name": "key-auth"}],
        }
    ],
    "consumers": [{"username": "alice", "keyauth_credentials": [{"key": "alice-key"}]}],
    "upstreams": [{"name": "backend.internal", "targets": [{"target": "10.0.0.1:80"}]}],
}

YAML_CONFIG = """
_format_version: "2.1"
services:
- name: from-yaml
  host: yaml.test
"""


@pytest.fixture
async def dbless(admin_factory: AdminFactory) -> AsyncIterator[Admin]:
    async with admin_factory("off") as admin:
        admin.ctx.declarative = DeclarativeService(admin.db)
        yield admin


async def _load(admin: Admin) -> dict:
    res = await admin.client.post("/config", json=CONFIG)
    assert res.status_code == 201, res.text
    return res.json()


async def test_post_config_json(dbless: Admin) -> None:
    loaded = await _load(dbless)
    assert [s["name"] for s in loaded["services"]] == ["example"]
    assert loaded["routes"][0]["paths"] == ["/mock"]
    service = (await dbless.client.get("/services/example")).json()
    assert service["host"] == "example.test"
    assert (await dbless.client.get("/services/example/routes")).json()["data"][0]["name"] == "r1"
    assert (await dbless.client.get("/consumers/alice/key-auth")).json()["data"][0]["key"] == "alice-key"
    status = (await dbless.client.get("/status")).json()
    assert len(status["configuration_hash"]) == 32 and status["configuration_hash"] != "0" * 32


async def test_post_config_forms_and_raw_text(dbless: Admin) -> None:
    res = await dbless.client.post("/config", data={"config": YAML_CONFIG})
    assert res.status_code == 201 and res.json()["services"][0]["name"] == "from-yaml"
    res = await dbless.client.post("/config", files={"config": ("kong.yml", YAML_CONFIG.encode(), "text/yaml")})
    assert res.status_code == 201
    res = await dbless.client.post("/config", content=YAML_CONFIG, headers={"content-type": "text/yaml"})
    assert res.status_code == 201
    res = await dbless.client.post("/config", json={"config": json.dumps(CONFIG)})
    assert res.status_code == 201 and [s["name"] for s in res.json()["services"]] == ["example"]
    # the whole configuration is replaced
    assert (await dbless.client.get("/services/from-yaml")).status_code == 404


async def test_check_hash(dbless: Admin) -> None:
    await _load(dbless)
    res = await dbless.client.post("/config?check_hash=1", json=CONFIG)
    assert res.status_code == 304
    changed = {**CONFIG, "consumers": [{"username": "bob"}]}
    res = await dbless.client.post("/config?check_hash=1", json=changed)
    assert res.status_code == 201
    assert (await dbless.client.get("/consumers/bob")).status_code == 200


async def test_invalid_config(dbless: Admin) -> None:
    await _load(dbless)
    bad = {"_format_version": "2.1", "services": [{"name": "x", "port": "eighty"}]}
    res = await dbless.client.post("/config", json=bad)
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == 14 and body["name"] == "invalid declarative configuration"
    assert body["message"].startswith("declarative config is invalid: ")
    assert "services" in body["fields"]
    res = await dbless.client.post("/config", data={"config": "services: [unclosed"})
    assert res.status_code == 400 and res.json()["code"] == 14
    res = await dbless.client.post("/config", json={})
    assert res.status_code == 400 and res.json() == {"message": "expected a declarative configuration"}
    # a failed load leaves the running configuration alone
    assert (await dbless.client.get("/services/example")).status_code == 200


async def test_get_config(dbless: Admin) -> None:
    await _load(dbless)
    body = (await dbless.client.get("/config")).json()
    assert "example.test" in body["config"] and "_format_version" in body["config"]


async def test_entity_writes_are_refused_like_kong(dbless: Admin) -> None:
    await _load(dbless)
    res = await dbless.client.post("/services", json={"host": "new.test"})
    assert res.status_code == 405
    assert res.json() == {
        "code": 12,
        "name": "operation unsupported",
        "message": "cannot create 'services' entities when not using a database",
    }
    res = await dbless.client.post("/services", json={"port": "x"})
    assert res.status_code == 400 and res.json()["code"] == 2  # validation comes first, as in Kong
    res = await dbless.client.patch("/services/example", json={"retries": 1})
    assert res.status_code == 405
    assert res.json()["message"] == "cannot update 'services' entities by 'name' when not using a database"
    service_id = (await dbless.client.get("/services/example")).json()["id"]
    res = await dbless.client.patch(f"/services/{service_id}", json={"retries": 1})
    assert res.json()["message"] == "cannot update 'services' entities when not using a database"
    assert (await dbless.client.patch("/services/nope", json={"retries": 1})).status_code == 404
    res = await dbless.client.put("/services/example", json={"host": "x.test"})
    assert res.status_code == 405
    assert res.json()["message"] == "cannot create or update 'services' entities by 'name' when not using a database"
    res = await dbless.client.delete("/services/example")
    assert res.status_code == 405
    assert res.json()["message"] == "cannot remove 'services' entities by 'name' when not using a database"
    assert (await dbless.client.delete("/services/nope")).status_code == 204
    res = await dbless.client.post("/consumers/alice/key-auth", json={"key": "another"})
    assert res.status_code == 405
    assert res.json()["message"] == "cannot create 'keyauth_credentials' entities when not using a database"
    res = await dbless.client.post("/routes", json={"paths": ["/x"], "service": {"name": "example"}})
    assert res.status_code == 405
    res = await dbless.client.post("/routes", json={"paths": ["/x"], "service": {"name": "missing"}})
    assert res.status_code == 400 and res.json()["code"] == 4
    assert (await dbless.client.get("/services")).json()["data"][0]["name"] == "example"


async def test_target_health_works_without_a_database(dbless: Admin) -> None:
    await _load(dbless)
    res = await dbless.client.post("/upstreams/backend.internal/targets/10.0.0.1:80/unhealthy")
    assert res.status_code == 204
    res = await dbless.client.post("/upstreams/backend.internal/targets", json={"target": "10.0.0.2:80"})
    assert res.status_code == 405


async def test_config_is_refused_with_a_database(admin: Admin) -> None:
    for res in (await admin.client.get("/config"), await admin.client.post("/config", json=CONFIG)):
        assert res.status_code == 400
        assert res.json() == {
            "message": "this endpoint is only available when Kong is configured to not use a database"
        }


class GatedDeclarative(DeclarativeService):
    """The real service, holding each load until the test opens the gate."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.loading = asyncio.Event()
        self.gate = asyncio.Event()

    async def load(self, parsed: ParsedConfig) -> None:
        self.loading.set()
        await self.gate.wait()
        await super().load(parsed)


async def test_concurrent_config_load_is_429(admin_factory: AdminFactory) -> None:
    async with admin_factory("off") as admin:
        declarative = GatedDeclarative(admin.db)
        admin.ctx.declarative = declarative
        first = asyncio.create_task(admin.client.post("/config", json=CONFIG))
        async with asyncio.timeout(10):
            await declarative.loading.wait()
        res = await admin.client.post("/config", json=CONFIG)
        assert res.status_code == 429
        assert res.json() == {"message": "Currently loading previous configuration"}
        assert res.headers["retry-after"] == "1"
        declarative.gate.set()
        assert (await first).status_code == 201
