"""key-auth answering repeated requests from `kong.cache` (`try_access`): the first request with a key loads
the credential and consumer (`access`), the following ones are decided without a coroutine. Both paths must
look the same to the client and to the upstream, and changes to credentials and consumers must be seen at
once through the real invalidation (store change events -> `runtime.invalidate`)."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest

from sekisho.pdk import PDK
from tests.integration.plugins.support import Echoed, Gateway


class Paths:
    """Which path answered each key-auth access phase: 'cache' (try_access decided) or 'access'."""

    def __init__(self) -> None:
        self.taken: list[str] = []

    def take(self) -> list[str]:
        taken, self.taken = self.taken, []
        return taken


@pytest.fixture
def paths(gw: Gateway, monkeypatch: pytest.MonkeyPatch) -> Paths:
    handler = gw.runtime.instances["key-auth"]
    original_try = handler.try_access
    original_access = handler.access
    recorded = Paths()

    def try_access(kong: PDK, conf: Any) -> bool:
        done = original_try(kong, conf)
        if done:
            recorded.taken.append("cache")
        return done

    async def access(kong: PDK, conf: Any) -> None:
        recorded.taken.append("access")
        await original_access(kong, conf)

    monkeypatch.setattr(handler, "try_access", try_access)
    monkeypatch.setattr(handler, "access", access)
    return recorded


async def _keyed(gw: Gateway, path: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    route = await gw.route(path)
    await gw.plugin("key-auth", config or {}, route={"id": route["id"]})
    return route


async def test_cached_requests_reach_the_upstream_exactly_like_the_first(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/cached")
    alice = await gw.consumer("alice", custom_id="A-1")
    credential = await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "top-secret"})

    seen: list[Echoed] = []
    for _ in range(3):
        # A client cannot smuggle its own identity headers in, on either path.
        spoofed = {"apikey": "top-secret", "X-Consumer-Username": "mallory", "X-Credential-Identifier": "forged"}
        seen.append(gw.echoed(await gw.client.get("/cached", headers=spoofed)))
    assert paths.take() == ["access", "cache", "cache"]
    for echoed in seen:
        assert echoed.all("x-consumer-id") == [alice["id"]]
        assert echoed.all("x-consumer-username") == ["alice"]
        assert echoed.all("x-consumer-custom-id") == ["A-1"]
        assert echoed.all("x-credential-identifier") == [credential["id"]]
        assert echoed.header("x-anonymous-consumer") is None
        assert echoed.all("apikey") == ["top-secret"]  # hide_credentials is off
    assert seen[0].headers == seen[1].headers == seen[2].headers

    # The cache is per key, not per source: the same key in the query string is cached already.
    by_query = [gw.echoed(await gw.client.get("/cached?apikey=top-secret&x=1")) for _ in range(2)]
    assert paths.take() == ["cache", "cache"]
    for echoed in by_query:
        assert echoed.query == "apikey=top-secret&x=1"
        assert echoed.header("x-consumer-username") == "alice"
        assert echoed.header("x-credential-identifier") == credential["id"]


async def test_hide_credentials_on_cached_requests(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/hidden", {"hide_credentials": True, "key_names": ["apikey", "x-api-key"]})
    alice = await gw.consumer("alice")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "k-1"})

    for _ in range(2):
        by_header = gw.echoed(await gw.client.get("/hidden?keep=1", headers={"apikey": "k-1", "X-Other": "o"}))
        assert by_header.header("apikey") is None
        assert by_header.header("x-other") == "o"
        assert by_header.query == "keep=1"
        assert by_header.header("x-consumer-username") == "alice"
    for _ in range(2):
        by_query = gw.echoed(await gw.client.get("/hidden?a=1&apikey=k-1&b=2"))
        assert by_query.query == "a=1&b=2"
        assert by_query.header("x-consumer-username") == "alice"
    for _ in range(2):  # the second key name, in a header
        second = gw.echoed(await gw.client.get("/hidden", headers={"X-API-Key": "k-1"}))
        assert second.header("x-api-key") is None
        assert second.header("x-consumer-username") == "alice"
    assert paths.take() == ["access", "cache", "cache", "cache", "cache", "cache"]


async def test_missing_unknown_and_duplicate_keys_are_refused_on_every_request(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/refuse")
    alice = await gw.consumer("alice")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "good"})
    assert gw.echoed(await gw.client.get("/refuse", headers={"apikey": "good"})).header("x-consumer-username")
    paths.take()

    for _ in range(3):  # the unknown key is cached as missing after the first request: still refused
        wrong = await gw.client.get("/refuse", headers={"apikey": "nope"})
        assert wrong.status_code == 401
        assert wrong.json() == {"message": "Invalid authentication credentials"}
        assert wrong.headers["www-authenticate"] == 'Key realm="kong"'
    for _ in range(2):
        missing = await gw.client.get("/refuse")
        assert missing.status_code == 401
        assert missing.json() == {"message": "No API key found in request"}
    # A cached good key repeated is still a duplicate, in the query string or in headers.
    duplicate_query = await gw.client.get("/refuse?apikey=good&apikey=good")
    assert duplicate_query.status_code == 401
    assert duplicate_query.json() == {"message": "Duplicate API key found"}
    duplicate_header = await gw.client.get("/refuse", headers=[("apikey", "good"), ("apikey", "good")])
    assert duplicate_header.status_code == 401
    assert duplicate_header.json() == {"message": "Duplicate API key found"}
    # None of these were let through by the cached path.
    assert "cache" not in paths.take()
    assert gw.echoed(await gw.client.get("/refuse", headers={"apikey": "good"})).header("x-consumer-username")
    assert paths.take() == ["cache"]


async def test_a_deleted_credential_is_refused_on_the_next_request(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/deleted")
    carol = await gw.consumer("carol")
    doomed = await gw.add("keyauth_credentials", {"consumer": {"id": carol["id"]}, "key": "doomed"})
    await gw.add("keyauth_credentials", {"consumer": {"id": carol["id"]}, "key": "kept"})
    for _ in range(2):
        assert (await gw.client.get("/deleted", headers={"apikey": "doomed"})).status_code == 200
        assert (await gw.client.get("/deleted", headers={"apikey": "kept"})).status_code == 200
    assert paths.take() == ["access", "access", "cache", "cache"]

    await gw.delete("keyauth_credentials", doomed["id"])
    gone = await gw.client.get("/deleted", headers={"apikey": "doomed"})
    assert gone.status_code == 401
    assert gone.json() == {"message": "Invalid authentication credentials"}
    assert (await gw.client.get("/deleted", headers={"apikey": "doomed"})).status_code == 401
    assert gw.echoed(await gw.client.get("/deleted", headers={"apikey": "kept"})).header("x-consumer-username")
    assert paths.take() == ["access", "access", "access"]  # the invalidation dropped every cached credential


async def test_a_changed_key_and_a_changed_consumer_are_seen_on_the_next_request(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/changed")
    dave = await gw.consumer("dave", custom_id="D-1")
    credential = await gw.add("keyauth_credentials", {"consumer": {"id": dave["id"]}, "key": "before"})
    for _ in range(2):
        assert gw.echoed(await gw.client.get("/changed", headers={"apikey": "before"})).header("x-consumer-username")

    await gw.update("keyauth_credentials", credential["id"], {"key": "after"})
    assert (await gw.client.get("/changed", headers={"apikey": "before"})).status_code == 401
    for _ in range(2):
        assert gw.echoed(await gw.client.get("/changed", headers={"apikey": "after"})).header("x-consumer-username")

    await gw.update("consumers", dave["id"], {"username": "david", "custom_id": "D-2"})
    renamed = gw.echoed(await gw.client.get("/changed", headers={"apikey": "after"}))
    assert renamed.header("x-consumer-username") == "david"
    assert renamed.header("x-consumer-custom-id") == "D-2"
    again = gw.echoed(await gw.client.get("/changed", headers={"apikey": "after"}))
    assert again.header("x-consumer-username") == "david"
    assert paths.take() == ["access", "cache", "access", "access", "cache", "access", "cache"]

    await gw.delete("consumers", dave["id"])  # cascades to its credentials
    assert (await gw.client.get("/changed", headers={"apikey": "after"})).status_code == 401


async def test_callers_taking_turns_each_get_their_own_identity_headers(gw: Gateway, paths: Paths) -> None:
    # The proxy encodes a caller's X-Consumer-* headers once per cached consumer row: interleaved callers,
    # one without a custom_id, must never see each other's.
    await _keyed(gw, "/turns")
    erin = await gw.consumer("erin", custom_id="E-1")
    frank = await gw.consumer("frank")
    ids = {}
    for consumer, key in ((erin, "erin-key"), (frank, "frank-key")):
        row = await gw.add("keyauth_credentials", {"consumer": {"id": consumer["id"]}, "key": key})
        ids[key] = row["id"]
    for _ in range(3):
        for key, consumer, custom_id in (("erin-key", erin, ["E-1"]), ("frank-key", frank, [])):
            echoed = gw.echoed(await gw.client.get("/turns", headers={"apikey": key}))
            assert echoed.all("x-consumer-id") == [consumer["id"]]
            assert echoed.all("x-consumer-username") == [consumer["username"]]
            assert echoed.all("x-consumer-custom-id") == custom_id
            assert echoed.all("x-credential-identifier") == [ids[key]]
    assert paths.take() == ["access", "access"] + ["cache"] * 4


async def test_a_key_cached_as_unknown_works_once_created(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/later")
    for _ in range(2):
        assert (await gw.client.get("/later", headers={"apikey": "soon"})).status_code == 401
    erin = await gw.consumer("erin")
    await gw.add("keyauth_credentials", {"consumer": {"id": erin["id"]}, "key": "soon"})
    for _ in range(2):
        echoed = gw.echoed(await gw.client.get("/later", headers={"apikey": "soon"}))
        assert echoed.header("x-consumer-id") == erin["id"]
    assert paths.take() == ["access", "access", "access", "cache"]


async def test_a_credential_expiring_while_cached_is_refused(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/ttl")
    frank = await gw.consumer("frank")
    # Whole seconds: the key expires between 0.5 and 1.5 s from now.
    created_at = math.ceil(time.time() - 1.5)
    await gw.add(
        "keyauth_credentials", {"consumer": {"id": frank["id"]}, "key": "brief", "ttl": 2, "created_at": created_at}
    )
    first = await gw.client.get("/ttl", headers={"apikey": "brief"})
    second = await gw.client.get("/ttl", headers={"apikey": "brief"})
    if time.time() < created_at + 2:  # both answered before the key expired (the usual case)
        assert (first.status_code, second.status_code) == (200, 200)
        assert paths.take() == ["access", "cache"]
    await asyncio.sleep(max(0.0, created_at + 2 - time.time()) + 0.01)
    paths.take()
    expired = await gw.client.get("/ttl", headers={"apikey": "brief"})
    assert expired.status_code == 401
    assert expired.json() == {"message": "Invalid authentication credentials"}
    assert paths.take() == ["access"]


async def test_consumer_scoped_plugins_apply_on_cached_requests(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/scoped")
    alice = await gw.consumer("alice")
    bob = await gw.consumer("bob")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "alice-key"})
    await gw.add("keyauth_credentials", {"consumer": {"id": bob["id"]}, "key": "bob-key"})
    await gw.plugin("request-transformer", {"add": {"headers": ["X-Plan:gold"]}}, consumer={"id": alice["id"]})
    await gw.plugin("rate-limiting", {"minute": 2, "policy": "local"}, consumer={"id": bob["id"]})

    for _ in range(3):
        as_alice = gw.echoed(await gw.client.get("/scoped", headers={"apikey": "alice-key"}))
        assert as_alice.header("x-plan") == "gold"
        assert as_alice.header("x-consumer-username") == "alice"
    bob_statuses = []
    for _ in range(3):
        response = await gw.client.get("/scoped", headers={"apikey": "bob-key"})
        bob_statuses.append(response.status_code)
        if response.status_code == 200:
            assert gw.echoed(response).header("x-plan") is None
    assert bob_statuses == [200, 200, 429]  # bob's own limit counts cached requests too
    assert (await gw.client.get("/scoped", headers={"apikey": "alice-key"})).status_code == 200
    assert paths.take() == ["access", "cache", "cache", "access", "cache", "cache", "cache"]


async def test_preflight_and_anonymous_configurations_on_cached_keys(gw: Gateway, paths: Paths) -> None:
    await _keyed(gw, "/pre", {"run_on_preflight": False})
    guest = await gw.consumer("guest")
    await _keyed(gw, "/anon", {"anonymous": guest["id"]})
    alice = await gw.consumer("alice")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "a-key"})

    for _ in range(2):
        assert gw.echoed(await gw.client.get("/pre", headers={"apikey": "a-key"})).header("x-consumer-username")
    preflight = gw.echoed(await gw.client.options("/pre", headers={"apikey": "a-key"}))
    assert preflight.method == "OPTIONS"
    assert preflight.header("x-consumer-id") is None  # preflights pass unauthenticated, key or not
    assert paths.take() == ["access", "cache", "cache"]

    for _ in range(2):  # `anonymous` always goes through access; a cached key still wins over it
        keyed = gw.echoed(await gw.client.get("/anon", headers={"apikey": "a-key"}))
        assert keyed.header("x-consumer-username") == "alice"
        assert keyed.header("x-anonymous-consumer") is None
        anonymous = gw.echoed(await gw.client.get("/anon", headers={"apikey": "unknown"}))
        assert anonymous.header("x-consumer-username") == "guest"
        assert anonymous.header("x-anonymous-consumer") == "true"
    assert paths.take() == ["access", "access", "access", "access"]
