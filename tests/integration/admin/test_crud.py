"""CRUD on core entities with Kong's status codes and error bodies."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers.certs import make_certificate
from tests.integration.admin.support import Admin


@pytest.fixture
def admin(any_admin: Admin) -> Admin:
    """Every test here runs over SQLite, memory and PostgreSQL."""
    return any_admin


async def test_schema_violation_body(admin: Admin) -> None:
    res = await admin.client.post("/services", json={})
    assert res.status_code == 400
    assert res.json() == {
        "code": 2,
        "name": "schema violation",
        "message": "schema violation (host: required field missing)",
        "fields": {"host": "required field missing"},
    }
    res = await admin.client.post("/services", json={"host": "example.test", "port": 70000, "colour": "red"})
    assert res.status_code == 400
    assert res.json()["fields"] == {"port": "value should be between 0 and 65535", "colour": "unknown field"}
    assert res.json()["message"].startswith("2 schema violations (")


async def test_unique_violation_is_409(admin: Admin) -> None:
    assert (await admin.client.post("/services", json={"name": "s1", "host": "a.test"})).status_code == 201
    res = await admin.client.post("/services", json={"name": "s1", "host": "b.test"})
    assert res.status_code == 409
    assert res.json() == {
        "code": 5,
        "name": "unique constraint violation",
        "message": "UNIQUE violation detected on '{name=\"s1\"}'",
        "fields": {"name": "s1"},
    }


async def test_get_by_id_and_endpoint_key(admin: Admin) -> None:
    created = (await admin.client.post("/services", json={"name": "s1", "host": "a.test"})).json()
    assert (await admin.client.get(f"/services/{created['id']}")).json() == created
    assert (await admin.client.get("/services/s1")).json() == created
    missing = await admin.client.get(f"/services/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not found"}
    assert (await admin.client.get("/services/nope")).status_code == 404


async def test_patch(admin: Admin) -> None:
    created = (await admin.client.post("/services", json={"name": "s1", "host": "a.test", "retries": 3})).json()
    res = await admin.client.patch("/services/s1", json={"host": "b.test"})
    assert res.status_code == 200
    patched = res.json()
    assert patched["host"] == "b.test" and patched["retries"] == 3 and patched["id"] == created["id"]
    res = await admin.client.patch(f"/services/{created['id']}", data={"retries": "7", "path": "/v1"})
    assert res.status_code == 200 and res.json()["retries"] == 7 and res.json()["path"] == "/v1"
    res = await admin.client.patch("/services/s1", data={"path": ""})
    assert res.json()["path"] is None
    res = await admin.client.patch("/services/s1", json={"port": "eighty"})
    assert res.status_code == 400 and res.json()["fields"] == {"port": "expected an integer"}
    ident = str(uuid.uuid4())
    missing = await admin.client.patch(f"/services/{ident}", json={"host": "c.test"})
    assert missing.status_code == 404
    assert missing.json() == {
        "code": 6,
        "name": "not found",
        "message": f"could not find the entity with primary key '{{id=\"{ident}\"}}'",
        "fields": {"id": ident},
    }
    missing = await admin.client.patch("/services/nope", json={"host": "c.test"})
    assert missing.json()["message"] == "could not find the entity with '{name=\"nope\"}'"
    assert missing.json()["fields"] == {"name": "nope"}


async def test_put_creates_then_replaces_by_endpoint_key(admin: Admin) -> None:
    res = await admin.client.put("/services/by-put", json={"host": "a.test", "retries": 2})
    assert res.status_code == 200
    first = res.json()
    assert first["name"] == "by-put" and first["retries"] == 2
    res = await admin.client.put("/services/by-put", json={"host": "b.test"})
    assert res.status_code == 200
    second = res.json()
    assert second["id"] == first["id"] and second["created_at"] == first["created_at"]
    assert second["host"] == "b.test" and second["retries"] == 5  # not given: back to the default
    assert len((await admin.client.get("/services")).json()["data"]) == 1


async def test_put_by_id_creates_with_that_id(admin: Admin) -> None:
    ident = str(uuid.uuid4())
    res = await admin.client.put(f"/consumers/{ident}", data={"username": "alice"})
    assert res.status_code == 200 and res.json()["id"] == ident
    assert (await admin.client.get("/consumers/alice")).json()["id"] == ident


async def test_delete_is_204_even_when_absent(admin: Admin) -> None:
    await admin.client.post("/consumers", json={"username": "alice"})
    assert (await admin.client.delete("/consumers/alice")).status_code == 204
    assert (await admin.client.get("/consumers/alice")).status_code == 404
    again = await admin.client.delete("/consumers/alice")
    assert again.status_code == 204 and again.content == b""
    assert (await admin.client.delete(f"/consumers/{uuid.uuid4()}")).status_code == 204


async def test_delete_referenced_parent_is_refused(admin: Admin) -> None:
    await admin.client.post("/services", json={"name": "s1", "host": "a.test"})
    await admin.client.post("/routes", json={"paths": ["/a"], "service": {"name": "s1"}})
    res = await admin.client.delete("/services/s1")
    assert res.status_code == 400
    assert res.json() == {
        "code": 4,
        "name": "foreign key violation",
        "message": "an existing 'routes' entity references this 'services' entity",
        "fields": {"@referenced_by": "routes"},
    }


async def test_foreign_keys_by_id_or_endpoint_key(admin: Admin) -> None:
    service = (await admin.client.post("/services", json={"name": "s1", "host": "a.test"})).json()
    by_name = await admin.client.post("/routes", json={"paths": ["/a"], "service": {"name": "s1"}})
    assert by_name.status_code == 201 and by_name.json()["service"] == {"id": service["id"]}
    by_form_name = await admin.client.post("/routes", data={"paths[]": "/b", "service.name": "s1"})
    assert by_form_name.status_code == 201 and by_form_name.json()["service"] == {"id": service["id"]}
    by_form_id = await admin.client.post("/routes", data={"hosts": "c.test", "service.id": service["id"]})
    assert by_form_id.status_code == 201 and by_form_id.json()["service"] == {"id": service["id"]}
    unknown = await admin.client.post("/routes", json={"paths": ["/d"], "service": {"name": "nope"}})
    assert unknown.status_code == 400
    assert unknown.json()["code"] == 4
    assert (
        unknown.json()["message"]
        == "the foreign key '{name=\"nope\"}' does not reference an existing 'services' entity."
    )


async def test_route_entity_check_message(admin: Admin) -> None:
    res = await admin.client.post("/routes", json={"protocols": ["http"]})
    assert res.status_code == 400
    assert res.json()["fields"] == {
        "@entity": ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"]
    }


async def test_plugins_config_and_scope(admin: Admin) -> None:
    res = await admin.client.post("/plugins", data={"name": "rate-limiting", "config.minute": "5"})
    assert res.status_code == 201
    plugin = res.json()
    assert plugin["config"] == {"minute": 5, "hour": None, "policy": "local"}
    # a form PATCH of `config` alone is typed with the existing plugin's schema
    res = await admin.client.patch(f"/plugins/{plugin['id']}", data={"config.hour": "100"})
    assert res.status_code == 200
    assert res.json()["config"] == {"minute": 5, "hour": 100, "policy": "local"}
    res = await admin.client.post("/plugins", json={"name": "rate-limiting", "config": {"policy": "memcached"}})
    assert res.status_code == 400
    assert res.json()["fields"] == {"config": {"policy": "expected one of: local, cluster, redis"}}
    res = await admin.client.post("/plugins", json={"name": "rate-limiting", "config": {"hour": 1}})
    assert res.status_code == 409  # one global rate-limiting plugin already
    res = await admin.client.post("/plugins", json={"name": "not-installed"})
    assert res.status_code == 400
    assert res.json()["fields"] == {
        "name": "plugin 'not-installed' not enabled; add it to the 'plugins' configuration property"
    }
    consumer = (await admin.client.post("/consumers", json={"username": "alice"})).json()
    res = await admin.client.post("/consumers/alice/plugins", json={"name": "key-auth"})
    assert res.status_code == 400 and res.json()["fields"] == {"consumer": "value must be null"}
    res = await admin.client.post("/consumers/alice/plugins", json={"name": "rate-limiting", "config": {"hour": 1}})
    assert res.status_code == 201 and res.json()["consumer"] == {"id": consumer["id"]}


async def test_consumers_custom_id_filter(admin: Admin) -> None:
    created = (await admin.client.post("/consumers", json={"username": "alice", "custom_id": "a-1"})).json()
    await admin.client.post("/consumers", json={"username": "bob"})
    assert (await admin.client.get("/consumers", params={"custom_id": "a-1"})).json() == {
        "data": [created],
        "next": None,
    }
    assert (await admin.client.get("/consumers", params={"custom_id": "zz"})).json() == {"data": [], "next": None}


async def test_consumers_list_shows_proxy_consumers_only(admin: Admin) -> None:
    await admin.client.post("/consumers", json={"username": "proxy-user"})
    developer = (await admin.client.post("/consumers", json={"username": "dev", "type": 1})).json()
    assert [c["username"] for c in (await admin.client.get("/consumers")).json()["data"]] == ["proxy-user"]
    assert (await admin.client.get("/consumers/dev")).json()["id"] == developer["id"]


async def test_certificate_with_snis(admin: Admin) -> None:
    cert, key = make_certificate("one.test")
    res = await admin.client.post("/certificates", data={"cert": cert, "key": key, "snis[]": ["one.test", "two.test"]})
    assert res.status_code == 201, res.text
    created = res.json()
    assert created["snis"] == ["one.test", "two.test"]
    snis = (await admin.client.get(f"/certificates/{created['id']}/snis")).json()["data"]
    assert sorted(s["name"] for s in snis) == ["one.test", "two.test"]
    assert (await admin.client.get("/snis/two.test/certificate")).json()["id"] == created["id"]
    other_cert, _other_key = make_certificate("other.test")
    res = await admin.client.post("/certificates", json={"cert": other_cert, "key": key})
    assert res.status_code == 400 and res.json()["fields"] == {"@entity": ["certificate does not match key"]}
    for method in ("GET", "PATCH", "DELETE"):
        res = await admin.client.request(method, "/ca_certificates/not-a-uuid", json={})
        assert res.status_code == 400
        assert res.json() == {
            "code": 1,
            "name": "invalid primary key",
            "message": "invalid primary key: '{id=\"not-a-uuid\"}'",
            "fields": {"id": "expected a valid UUID"},
        }


async def test_certificate_addressed_by_sni(admin: Admin) -> None:
    cert, key = make_certificate("one.test")
    created = (await admin.client.post("/certificates", json={"cert": cert, "key": key, "snis": ["one.test"]})).json()
    assert (await admin.client.get("/certificates/one.test")).json()["id"] == created["id"]
    missing = await admin.client.get("/certificates/unknown.test")
    assert missing.status_code == 404 and missing.json() == {"message": "SNI not found"}
    assert (await admin.client.get("/certificates/one.test/snis")).json()["data"][0]["name"] == "one.test"
    res = await admin.client.patch("/certificates/one.test", json={"tags": ["t"]})
    assert res.status_code == 200 and res.json()["tags"] == ["t"]
    other_cert, other_key = make_certificate("new.test")
    res = await admin.client.put("/certificates/new.test", json={"cert": other_cert, "key": other_key})
    assert res.status_code == 200 and res.json()["snis"] == ["new.test"]
    assert (await admin.client.get("/snis/new.test/certificate")).json()["id"] == res.json()["id"]
    assert (await admin.client.delete("/certificates/one.test")).status_code == 204
    assert (await admin.client.get(f"/certificates/{created['id']}")).status_code == 404


async def test_plugin_scoped_by_endpoint_keys_and_merged_patch(admin: Admin) -> None:
    consumer = (await admin.client.post("/consumers", json={"username": "alice"})).json()
    await admin.client.post("/services", json={"name": "s1", "host": "a.test"})
    form = {"name": "rate-limiting", "consumer.username": "alice", "service.name": "s1", "config.minute": "3"}
    res = await admin.client.post("/plugins", data=form)
    assert res.status_code == 201, res.text
    plugin = res.json()
    assert plugin["consumer"] == {"id": consumer["id"]} and plugin["service"]["id"]
    res = await admin.client.patch(f"/plugins/{plugin['id']}", json={"config": {"hour": 60}})
    assert res.json()["config"] == {"minute": 3, "hour": 60, "policy": "local"}
    res = await admin.client.patch(f"/plugins/{plugin['id']}", json={"enabled": False})
    assert res.json()["enabled"] is False and res.json()["config"]["hour"] == 60
