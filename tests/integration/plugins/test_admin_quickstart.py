"""Kong's quickstart end to end: configured through the Admin API (form posts, as curl sends them), then proxied."""

from __future__ import annotations

import re

import httpx

from tests.integration.plugins.support import Gateway


async def _admin(gw: Gateway, method: str, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    response = await gw.admin.request(method, path, data=data)
    await gw.runtime.reload()  # the node reloads on change events; tests make it deterministic
    return response


async def test_key_auth_quickstart_through_the_admin_api(gw: Gateway) -> None:
    assert (await _admin(gw, "POST", "/services", {"name": "example", "url": gw.upstream})).status_code == 201
    created = await _admin(gw, "POST", "/services/example/routes", {"name": "r", "paths[]": "/mock"})
    assert created.status_code == 201, created.text
    plugin = await _admin(gw, "POST", "/routes/r/plugins", {"name": "key-auth"})
    assert plugin.status_code == 201 and plugin.json()["config"]["key_names"] == ["apikey"]
    assert (await _admin(gw, "POST", "/consumers", {"username": "luka"})).status_code == 201
    key = await _admin(gw, "POST", "/consumers/luka/key-auth")
    assert key.status_code == 201, key.text
    generated = key.json()["key"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)

    assert (await gw.client.get("/mock")).status_code == 401
    echoed = gw.echoed(await gw.client.get("/mock", headers={"apikey": generated}))
    assert echoed.header("x-consumer-username") == "luka"

    listed = (await gw.admin.get("/consumers/luka/key-auth")).json()["data"]
    assert [c["key"] for c in listed] == [generated]
    assert (await _admin(gw, "DELETE", f"/key-auths/{generated}")).status_code == 204
    assert (await gw.client.get("/mock", headers={"apikey": generated})).status_code == 401


async def test_basic_auth_and_acls_through_the_admin_api(gw: Gateway) -> None:
    await _admin(gw, "POST", "/services", {"name": "s", "url": gw.upstream})
    await _admin(gw, "POST", "/services/s/routes", {"name": "r", "paths[]": "/team"})
    await _admin(gw, "POST", "/routes/r/plugins", {"name": "basic-auth"})
    await _admin(gw, "POST", "/routes/r/plugins", {"name": "acl", "config.allow": "team"})
    await _admin(gw, "POST", "/consumers", {"username": "ada"})
    credential = await _admin(gw, "POST", "/consumers/ada/basic-auth", {"username": "ada", "password": "pw1"})
    assert credential.status_code == 201, credential.text
    assert credential.json()["password"].startswith("$argon2id$")
    assert (await gw.client.get("/team", auth=("ada", "pw1"))).status_code == 403

    group = await _admin(gw, "POST", "/consumers/ada/acls", {"group": "team"})
    assert group.status_code == 201, group.text
    echoed = gw.echoed(await gw.client.get("/team", auth=("ada", "pw1")))
    assert echoed.header("x-consumer-groups") == "team"
    assert [row["group"] for row in (await gw.admin.get("/acls")).json()["data"]] == ["team"]

    duplicate = await _admin(gw, "POST", "/consumers/ada/acls", {"group": "team"})
    assert duplicate.status_code == 409
    taken = await _admin(gw, "POST", "/consumers/ada/basic-auth", {"username": "ada", "password": "x"})
    assert taken.status_code == 409


async def test_plugin_config_errors_are_kongs(gw: Gateway) -> None:
    response = await gw.admin.post("/plugins", json={"name": "rate-limiting", "config": {"second": 5, "minute": 2}})
    assert response.status_code == 400
    body = response.json()
    assert body["name"] == "schema violation"
    assert "The limit for minute(2.0) cannot be lower than the limit for second(5.0)" in body["message"]
