"""`/`, `/status`, `/endpoints`, `/plugins/enabled` and `/schemas/*`."""

from __future__ import annotations

from tests.integration.admin.support import Admin, AdminFactory


async def test_root(admin: Admin) -> None:
    await admin.client.post("/plugins", json={"name": "rate-limiting", "config": {"minute": 1}})
    body = (await admin.client.get("/")).json()
    assert body["tagline"] == "Welcome to kong"
    assert body["version"] == admin.ctx.version
    assert body["node_id"] == admin.ctx.node_id
    assert body["hostname"] == "admin-test-host"
    assert body["configuration"] == {"database": "sqlite", "admin_listen": ["127.0.0.1:8001"]}
    assert body["plugins"]["available_on_server"] == {"acl": True, "key-auth": True, "rate-limiting": True}
    assert body["plugins"]["enabled_in_cluster"] == ["rate-limiting"]
    assert "lua_version" not in body


async def test_status(admin_factory: AdminFactory) -> None:
    counters = {"total_requests": 42, "connections_active": 3}
    async with admin_factory(server_counters=lambda: counters) as admin:
        body = (await admin.client.get("/status")).json()
        assert body["database"] == {"reachable": True}
        assert body["server"]["total_requests"] == 42 and body["server"]["connections_active"] == 3
        assert body["server"]["connections_waiting"] == 0
        assert "configuration_hash" not in body


async def test_endpoints(admin: Admin) -> None:
    paths = (await admin.client.get("/endpoints")).json()["data"]
    for expected in (
        "/",
        "/services",
        "/services/{services}",
        "/services/{services}/routes",
        "/services/{services}/routes/{routes}",
        "/routes/{routes}/service",
        "/plugins/{plugins}/consumer",
        "/consumers/{consumers}/key-auth",
        "/consumers/{consumers}/key-auth/{keyauth_credentials}",
        "/key-auths/{keyauth_credentials}",
        "/consumers/{consumers}/acls",
        "/upstreams/{upstreams}/targets/{targets}/healthy",
        "/certificates/{certificates}/snis",
        "/schemas/plugins/{name}",
    ):
        assert expected in paths, expected
    assert "/targets" not in paths
    assert paths.index("/services") < paths.index("/services/{services}") < paths.index("/snis")


async def test_enabled_plugins(admin: Admin) -> None:
    assert (await admin.client.get("/plugins/enabled")).json() == {
        "enabled_plugins": ["acl", "key-auth", "rate-limiting"]
    }


async def test_entity_schema(admin: Admin) -> None:
    body = (await admin.client.get("/schemas/services")).json()
    fields = {name: spec for item in body["fields"] for name, spec in item.items()}
    assert fields["retries"] == {
        "type": "integer",
        "default": 5,
        "between": [0, 32767],
        "description": "Number of retries when proxying fails.",
    }
    assert fields["host"]["required"] is True
    res = await admin.client.get("/schemas/nothing")
    assert res.status_code == 404 and res.json() == {"message": "No entity named 'nothing'"}


async def test_validate_entity(admin: Admin) -> None:
    res = await admin.client.post("/schemas/services/validate", json={"host": "a.test"})
    assert res.status_code == 200 and res.json() == {"message": "schema validation successful"}
    res = await admin.client.post("/schemas/routes/validate", data={"paths[]": "no-slash"})
    assert res.status_code == 400
    assert res.json()["fields"] == {"paths": ["should start with: / (fixed path) or ~/ (regex path)"]}
    # validation only: nothing was stored
    assert (await admin.client.get("/services")).json()["data"] == []


async def test_plugin_schema(admin: Admin) -> None:
    body = (await admin.client.get("/schemas/plugins/key-auth")).json()
    fields = {name: spec for item in body["fields"] for name, spec in item.items()}
    assert fields["consumer"]["eq"] is None and "eq" not in fields["service"]
    assert fields["protocols"]["default"] == ["grpc", "grpcs", "http", "https"]
    config = {name: spec for item in fields["config"]["fields"] for name, spec in item.items()}
    assert config["key_names"]["default"] == ["apikey"] and config["key_names"]["type"] == "array"
    res = await admin.client.get("/schemas/plugins/nothing")
    assert res.status_code == 404 and res.json() == {"message": "No plugin named 'nothing'"}
    deprecated = (await admin.client.get("/plugins/schema/key-auth")).json()
    assert deprecated["fields"] == fields["config"]["fields"]
    assert (await admin.client.get("/plugins/schema/nothing")).status_code == 404


async def test_validate_plugin(admin: Admin) -> None:
    res = await admin.client.post("/schemas/plugins/validate", json={"name": "rate-limiting", "config": {"hour": 5}})
    assert res.status_code == 200
    res = await admin.client.post("/schemas/plugins/validate", data={"name": "rate-limiting", "config.hour": "x"})
    assert res.status_code == 400
    assert res.json()["fields"] == {"config": {"hour": "expected an integer"}}
    assert (await admin.client.get("/plugins")).json()["data"] == []
