"""basic-auth through a real proxy."""

from __future__ import annotations

import base64

from tests.integration.plugins.support import Gateway


async def _protected(gw: Gateway, path: str, **config: object) -> dict[str, str]:
    route = await gw.route(path)
    await gw.plugin("basic-auth", config, route={"id": route["id"]})
    bob = await gw.consumer("bob")
    await gw.add("basicauth_credentials", {"consumer": {"id": bob["id"]}, "username": "bob", "password": "s3cret"})
    return bob


async def test_missing_and_wrong_credentials(gw: Gateway) -> None:
    await _protected(gw, "/basic")
    missing = await gw.client.get("/basic")
    assert missing.status_code == 401 and missing.json() == {"message": "Unauthorized"}
    assert missing.headers["www-authenticate"] == 'Basic realm="service"'
    wrong = await gw.client.get("/basic", auth=("bob", "wrong"))
    assert wrong.status_code == 401 and wrong.json() == {"message": "Invalid authentication credentials"}
    assert wrong.headers["www-authenticate"] == 'Basic realm="service"'
    unknown = await gw.client.get("/basic", auth=("nobody", "s3cret"))
    assert unknown.status_code == 401
    garbage = await gw.client.get("/basic", headers={"Authorization": "Basic %%%"})
    assert garbage.status_code == 401 and garbage.json() == {"message": "Invalid authentication credentials"}


async def test_valid_credentials_reach_upstream_with_identity(gw: Gateway) -> None:
    bob = await _protected(gw, "/basic")
    for _ in range(2):  # the second request is served from the verified-password cache
        echoed = gw.echoed(await gw.client.get("/basic", auth=("bob", "s3cret")))
        assert echoed.header("x-consumer-id") == bob["id"]
        assert echoed.header("x-credential-identifier") == "bob"
        assert echoed.header("authorization") is not None


async def test_password_change_takes_effect(gw: Gateway) -> None:
    await _protected(gw, "/basic")
    assert (await gw.client.get("/basic", auth=("bob", "s3cret"))).status_code == 200
    await gw.update("basicauth_credentials", "bob", {"password": "n3w"})
    assert (await gw.client.get("/basic", auth=("bob", "s3cret"))).status_code == 401
    assert (await gw.client.get("/basic", auth=("bob", "n3w"))).status_code == 200


async def test_hide_credentials_and_custom_realm(gw: Gateway) -> None:
    await _protected(gw, "/hidden", hide_credentials=True, realm="api")
    echoed = gw.echoed(await gw.client.get("/hidden", auth=("bob", "s3cret")))
    assert echoed.header("authorization") is None
    assert (await gw.client.get("/hidden")).headers["www-authenticate"] == 'Basic realm="api"'


async def test_proxy_authorization_is_accepted(gw: Gateway) -> None:
    await _protected(gw, "/proxy-auth")
    token = base64.b64encode(b"bob:s3cret").decode()
    response = await gw.client.get("/proxy-auth", headers={"Proxy-Authorization": f"Basic {token}"})
    assert response.status_code == 200


async def test_anonymous_consumer_and_logical_and_with_key_auth(gw: Gateway) -> None:
    route = await gw.route("/both")
    await gw.plugin("key-auth", route={"id": route["id"]})
    await gw.plugin("basic-auth", route={"id": route["id"]})
    bob = await gw.consumer("bob")
    await gw.add("keyauth_credentials", {"consumer": {"id": bob["id"]}, "key": "bob-key"})
    await gw.add("basicauth_credentials", {"consumer": {"id": bob["id"]}, "username": "bob", "password": "pw"})
    # Without `anonymous` both plugins must succeed (logical AND).
    assert (await gw.client.get("/both", headers={"apikey": "bob-key"})).status_code == 401
    assert (await gw.client.get("/both", auth=("bob", "pw"))).status_code == 401
    assert (await gw.client.get("/both", headers={"apikey": "bob-key"}, auth=("bob", "pw"))).status_code == 200
