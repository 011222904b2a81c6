"""Nested (foreign-key) endpoints: `/P/{P}/E`, `/P/{P}/E/{E}` and `/E/{E}/f`."""

from __future__ import annotations

import uuid

from tests.integration.admin.support import Admin


async def _service_with_route(admin: Admin) -> tuple[dict, dict]:
    service = (await admin.client.post("/services", json={"name": "s1", "host": "a.test"})).json()
    route = (await admin.client.post("/services/s1/routes", json={"name": "r1", "paths": ["/a"]})).json()
    return service, route


async def test_nested_collection(admin: Admin) -> None:
    service, route = await _service_with_route(admin)
    await admin.client.post("/services", json={"name": "s2", "host": "b.test"})
    await admin.client.post("/services/s2/routes", json={"paths": ["/b"]})
    listed = (await admin.client.get("/services/s1/routes")).json()
    assert listed == {"data": [route], "next": None}
    assert (await admin.client.get(f"/services/{service['id']}/routes")).json()["data"] == [route]
    missing = await admin.client.get("/services/nope/routes")
    assert missing.status_code == 404 and missing.json() == {"message": "Not found"}
    assert (await admin.client.post("/services/nope/routes", json={"paths": ["/c"]})).status_code == 404


async def test_nested_entity_must_belong_to_parent(admin: Admin) -> None:
    service, route = await _service_with_route(admin)
    other = (await admin.client.post("/services", json={"name": "s2", "host": "b.test"})).json()
    assert (await admin.client.get("/services/s1/routes/r1")).json() == route
    assert (await admin.client.get(f"/services/{other['id']}/routes/r1")).status_code == 404
    res = await admin.client.patch("/services/s1/routes/r1", json={"paths": ["/z"]})
    assert res.status_code == 200 and res.json()["paths"] == ["/z"] and res.json()["service"] == {"id": service["id"]}
    assert (await admin.client.patch("/services/s2/routes/r1", json={"paths": ["/y"]})).status_code == 404
    assert (await admin.client.delete("/services/s2/routes/r1")).status_code == 404
    assert (await admin.client.delete("/services/s1/routes/r1")).status_code == 204
    assert (await admin.client.get("/routes/r1")).status_code == 404


async def test_nested_put_sets_the_parent(admin: Admin) -> None:
    service, _ = await _service_with_route(admin)
    res = await admin.client.put("/services/s1/routes/r2", json={"hosts": ["x.test"]})
    assert res.status_code == 200
    assert res.json()["name"] == "r2" and res.json()["service"] == {"id": service["id"]}


async def test_referenced_entity(admin: Admin) -> None:
    service, _ = await _service_with_route(admin)
    assert (await admin.client.get("/routes/r1/service")).json() == service
    res = await admin.client.patch("/routes/r1/service", json={"retries": 1})
    assert res.status_code == 200 and res.json()["retries"] == 1 and res.json()["id"] == service["id"]
    res = await admin.client.delete("/routes/r1/service")
    assert res.status_code == 405 and res.json() == {"message": "Method not allowed"}
    res = await admin.client.put("/routes/r1/service", json={"host": "c.test", "name": "s1"})
    assert res.status_code == 200 and res.json()["id"] == service["id"] and res.json()["host"] == "c.test"


async def test_referenced_entity_absent(admin: Admin) -> None:
    route = (await admin.client.post("/routes", json={"name": "lonely", "paths": ["/l"]})).json()
    assert route["service"] is None
    assert (await admin.client.get("/routes/lonely/service")).status_code == 404
    assert (await admin.client.patch("/routes/lonely/service", json={"retries": 1})).status_code == 404
    assert (await admin.client.delete("/routes/lonely/service")).status_code == 404
    # PUT creates the service and associates it
    res = await admin.client.put("/routes/lonely/service", json={"host": "new.test"})
    assert res.status_code == 200
    created = res.json()
    assert (await admin.client.get("/routes/lonely")).json()["service"] == {"id": created["id"]}
    assert (await admin.client.get(f"/routes/{uuid.uuid4()}/service")).status_code == 404


async def test_plugins_under_routes_services_consumers(admin: Admin) -> None:
    service, route = await _service_with_route(admin)
    consumer = (await admin.client.post("/consumers", json={"username": "alice"})).json()
    on_route = (await admin.client.post("/routes/r1/plugins", data={"name": "key-auth"})).json()
    on_service = (await admin.client.post("/services/s1/plugins", json={"name": "rate-limiting"})).json()
    on_consumer = (
        await admin.client.post("/consumers/alice/plugins", json={"name": "rate-limiting", "config": {"minute": 2}})
    ).json()
    assert on_route["route"] == {"id": route["id"]}
    assert on_service["service"] == {"id": service["id"]}
    assert on_consumer["consumer"] == {"id": consumer["id"]}
    assert [p["id"] for p in (await admin.client.get("/routes/r1/plugins")).json()["data"]] == [on_route["id"]]
    assert [p["id"] for p in (await admin.client.get("/consumers/alice/plugins")).json()["data"]] == [on_consumer["id"]]
    assert (await admin.client.get(f"/plugins/{on_route['id']}/route")).json()["id"] == route["id"]
    assert (await admin.client.get(f"/plugins/{on_service['id']}/service")).json()["id"] == service["id"]
    assert (await admin.client.get(f"/plugins/{on_consumer['id']}/consumer")).json()["id"] == consumer["id"]
    assert (await admin.client.get(f"/plugins/{on_route['id']}/consumer")).status_code == 404


async def test_plugin_owned_entities_nested_under_consumers(admin: Admin) -> None:
    alice = (await admin.client.post("/consumers", json={"username": "alice"})).json()
    await admin.client.post("/consumers", json={"username": "bob"})
    acl = await admin.client.post("/consumers/alice/acls", data={"group": "admins"})
    assert acl.status_code == 201 and acl.json()["consumer"] == {"id": alice["id"]}
    assert (await admin.client.get(f"/consumers/alice/acls/{acl.json()['id']}")).json() == acl.json()
    assert (await admin.client.get(f"/consumers/bob/acls/{acl.json()['id']}")).status_code == 404
    assert (await admin.client.get("/acls")).json()["data"] == [acl.json()]
    key = (await admin.client.post("/consumers/bob/key-auth", json={"key": "bobs-key"})).json()
    assert (await admin.client.get("/consumers/bob/key-auth/bobs-key")).json() == key
    assert (await admin.client.delete("/consumers/alice/key-auth/bobs-key")).status_code == 404
    assert (await admin.client.delete("/consumers/bob/key-auth/bobs-key")).status_code == 204


async def test_credential_put_by_key_under_its_consumer(admin: Admin) -> None:
    bob = (await admin.client.post("/consumers", json={"username": "bob"})).json()
    res = await admin.client.put("/consumers/bob/key-auth/chosen-key", json={"tags": ["ci"]})
    assert res.status_code == 200
    assert res.json()["key"] == "chosen-key" and res.json()["consumer"] == {"id": bob["id"]}
    res = await admin.client.patch("/consumers/bob/key-auth/chosen-key", data={"tags[]": ["ci", "prod"]})
    assert res.status_code == 200 and res.json()["tags"] == ["ci", "prod"]
    assert (await admin.client.get("/key-auths/chosen-key/consumer")).json()["id"] == bob["id"]
