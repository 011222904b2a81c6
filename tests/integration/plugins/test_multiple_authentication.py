"""Kong's multiple-authentication pattern: key-auth and basic-auth both with `anonymous` (logical OR)."""

from __future__ import annotations

from tests.integration.plugins.support import Gateway


async def _setup(gw: Gateway) -> dict[str, dict[str, str]]:
    route = await gw.route("/either")
    anonymous = await gw.consumer("anonymous")
    alice = await gw.consumer("alice")
    bob = await gw.consumer("bob")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "alice-key"})
    await gw.add("basicauth_credentials", {"consumer": {"id": bob["id"]}, "username": "bob", "password": "pw"})
    await gw.plugin("key-auth", {"anonymous": anonymous["id"]}, route={"id": route["id"]})
    await gw.plugin("basic-auth", {"anonymous": "anonymous"}, route={"id": route["id"]})
    return {"anonymous": anonymous, "alice": alice, "bob": bob}


async def test_either_credential_authenticates_and_none_is_anonymous(gw: Gateway) -> None:
    consumers = await _setup(gw)
    by_key = gw.echoed(await gw.client.get("/either", headers={"apikey": "alice-key"}))
    assert by_key.header("x-consumer-id") == consumers["alice"]["id"]
    assert by_key.header("x-anonymous-consumer") is None

    by_basic = gw.echoed(await gw.client.get("/either", auth=("bob", "pw")))
    assert by_basic.header("x-consumer-username") == "bob"
    assert by_basic.header("x-anonymous-consumer") is None
    assert by_basic.header("x-credential-identifier") == "bob"

    nobody = gw.echoed(await gw.client.get("/either"))
    assert nobody.header("x-consumer-username") == "anonymous"
    assert nobody.header("x-anonymous-consumer") == "true"
    assert nobody.header("x-credential-identifier") is None

    wrong_both = gw.echoed(await gw.client.get("/either", headers={"apikey": "bad"}, auth=("bob", "bad")))
    assert wrong_both.header("x-consumer-username") == "anonymous"


async def test_acl_refuses_the_anonymous_consumer(gw: Gateway) -> None:
    consumers = await _setup(gw)
    route = (await gw.db.all("routes"))[0]
    await gw.plugin("acl", {"allow": ["users"]}, route={"id": route["id"]})
    for name in ("alice", "bob"):
        await gw.add("acls", {"consumer": {"id": consumers[name]["id"]}, "group": "users"})
    assert (await gw.client.get("/either", headers={"apikey": "alice-key"})).status_code == 200
    assert (await gw.client.get("/either", auth=("bob", "pw"))).status_code == 200
    refused = await gw.client.get("/either")
    assert refused.status_code == 401 and refused.json() == {"message": "Unauthorized"}
