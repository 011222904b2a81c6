"""key-auth through a real proxy: Kong's quickstart and the documented behaviour."""

from __future__ import annotations

from tests.integration.plugins.support import Gateway


async def test_quickstart_key_auth_on_a_route(gw: Gateway) -> None:
    route = await gw.route("/example")
    await gw.plugin("key-auth", route={"id": route["id"]})
    alice = await gw.consumer("alice", custom_id="A-1")
    credential = await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "top-secret"})

    missing = await gw.client.get("/example")
    assert missing.status_code == 401
    assert missing.json() == {"message": "No API key found in request"}
    assert missing.headers["www-authenticate"] == 'Key realm="kong"'

    wrong = await gw.client.get("/example", headers={"apikey": "nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"message": "Invalid authentication credentials"}

    echoed = gw.echoed(await gw.client.get("/example", headers={"apikey": "top-secret"}))
    assert echoed.header("x-consumer-id") == alice["id"]
    assert echoed.header("x-consumer-username") == "alice"
    assert echoed.header("x-consumer-custom-id") == "A-1"
    assert echoed.header("x-credential-identifier") == credential["id"]
    assert echoed.header("x-anonymous-consumer") is None
    assert echoed.header("apikey") == "top-secret"

    by_query = gw.echoed(await gw.client.get("/example?apikey=top-secret&x=1"))
    assert by_query.query == "apikey=top-secret&x=1"


async def test_hide_credentials_removes_the_key_from_header_and_query(gw: Gateway) -> None:
    route = await gw.route("/hidden")
    await gw.plugin("key-auth", {"hide_credentials": True}, route={"id": route["id"]})
    alice = await gw.consumer("alice")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "k-1"})
    by_header = gw.echoed(await gw.client.get("/hidden", headers={"apikey": "k-1"}))
    assert by_header.header("apikey") is None and by_header.header("x-consumer-username") == "alice"
    by_query = gw.echoed(await gw.client.get("/hidden?a=1&apikey=k-1"))
    assert by_query.query == "a=1"


async def test_custom_key_names_and_sources(gw: Gateway) -> None:
    route = await gw.route("/custom")
    config = {"key_names": ["x-api-key", "token"], "key_in_query": False, "key_in_body": True}
    await gw.plugin("key-auth", config, route={"id": route["id"]})
    bob = await gw.consumer("bob")
    await gw.add("keyauth_credentials", {"consumer": {"id": bob["id"]}, "key": "b-key"})
    assert (await gw.client.get("/custom", headers={"X-API-Key": "b-key"})).status_code == 200
    assert (await gw.client.get("/custom?token=b-key")).status_code == 401
    body = gw.echoed(await gw.client.post("/custom", json={"token": "b-key", "other": 1}))
    assert body.header("x-consumer-username") == "bob"
    form = await gw.client.post("/custom", data={"token": "b-key"})
    assert form.status_code == 200


async def test_duplicate_and_oversized_keys_are_refused(gw: Gateway) -> None:
    route = await gw.route("/dup")
    await gw.plugin("key-auth", route={"id": route["id"]})
    response = await gw.client.get("/dup?apikey=a&apikey=b")
    assert response.status_code == 401 and response.json() == {"message": "Duplicate API key found"}
    huge = await gw.client.get("/dup", headers={"apikey": "k" * 5000})
    assert huge.status_code == 401 and huge.json() == {"message": "Invalid authentication credentials"}


async def test_preflight_passes_when_run_on_preflight_is_off(gw: Gateway) -> None:
    route = await gw.route("/pre")
    await gw.plugin("key-auth", {"run_on_preflight": False}, route={"id": route["id"]})
    assert (await gw.client.options("/pre")).status_code == 200
    assert (await gw.client.get("/pre")).status_code == 401


async def test_expired_and_deleted_keys_stop_working(gw: Gateway) -> None:
    route = await gw.route("/ttl")
    await gw.plugin("key-auth", route={"id": route["id"]})
    carol = await gw.consumer("carol")
    await gw.add("keyauth_credentials", {"consumer": {"id": carol["id"]}, "key": "old", "ttl": 10, "created_at": 1000})
    assert (await gw.client.get("/ttl", headers={"apikey": "old"})).status_code == 401
    live = await gw.add("keyauth_credentials", {"consumer": {"id": carol["id"]}, "key": "live"})
    assert (await gw.client.get("/ttl", headers={"apikey": "live"})).status_code == 200
    await gw.delete("keyauth_credentials", live["id"])
    assert (await gw.client.get("/ttl", headers={"apikey": "live"})).status_code == 401


async def test_unknown_key_becomes_valid_once_created(gw: Gateway) -> None:
    route = await gw.route("/later")
    await gw.plugin("key-auth", route={"id": route["id"]})
    assert (await gw.client.get("/later", headers={"apikey": "soon"})).status_code == 401
    dave = await gw.consumer("dave")
    await gw.add("keyauth_credentials", {"consumer": {"id": dave["id"]}, "key": "soon"})
    assert (await gw.client.get("/later", headers={"apikey": "soon"})).status_code == 200


async def test_anonymous_consumer_that_does_not_exist_is_a_server_error(gw: Gateway) -> None:
    route = await gw.route("/anon")
    await gw.plugin("key-auth", {"anonymous": "ghost"}, route={"id": route["id"]})
    response = await gw.client.get("/anon")
    assert response.status_code == 500
    assert response.json() == {"message": "anonymous consumer ghost is configured but doesn't exist"}
