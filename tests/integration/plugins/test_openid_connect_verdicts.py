"""`openid-connect` verdicts (plugins/openid_connect/replay.py): a request whose outcome depends only on its
credential (a bearer JWT in the Authorization header, a cookie-stored session) is remembered by that exact
header and replayed synchronously on identical requests. Through the real proxy against the rogue provider,
each test asserts what the echo upstream and the client really see, and that the replay really happened (or
really did not): `full_flows` records every request that ran the whole `AccessFlow`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis_asyncio

from sekisho.plugins.openid_connect.flow import AccessFlow
from tests.integration.plugins.test_openid_connect import Rig, bearer, login, rogue_rig

XHR = {"Accept": "application/json"}
# What varies per response whatever the plugin did.
_VOLATILE = {"date", "x-kong-proxy-latency", "x-kong-upstream-latency", "x-kong-response-latency"}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rogue_rig(tmp_path) as running:
        yield running


@pytest.fixture
def full_flows(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path of every request that ran the whole access flow (a replayed one never gets here)."""
    runs: list[str] = []
    original = AccessFlow.run

    async def counted(self: AccessFlow) -> None:
        runs.append(self.kong.request.get_path())
        await original(self)

    monkeypatch.setattr(AccessFlow, "run", counted)
    return runs


def downstream(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.multi_items() if k not in _VOLATILE)


def spelled(headers: list[list[str]], name: str) -> list[str]:
    """Every value the upstream received for `name`, whatever its spelling (`_` or `-`)."""
    return [v for k, v in headers if k.replace("_", "-") == name]


class TestBearer:
    async def test_identical_requests_get_exactly_what_the_first_one_got(self, rig: Rig, full_flows: list[str]) -> None:
        consumer = await rig.gw.consumer("user-1", custom_id="c-1")
        await rig.protect(
            auth_methods=["bearer"],
            consumer_claim=["sub"],
            upstream_headers_claims=["email", "scope"],
            upstream_headers_names=["X-Email", "X-Scope"],
            downstream_headers_claims=["sub"],
            downstream_headers_names=["X-Subject"],
            authenticated_groups_claim=["groups"],
        )
        token = rig.access_token(email="user-1@example.test", groups=["admins", "ops"])
        responses = [await rig.gw.client.get("/api", headers=bearer(token)) for _ in range(5)]
        assert full_flows == ["/api"]  # the first one ran the flow; the other four were replayed
        first = rig.gw.echoed(responses[0])
        assert first.header("x-consumer-id") == consumer["id"]
        assert first.header("x-consumer-username") == "user-1" and first.header("x-consumer-custom-id") == "c-1"
        assert first.header("x-credential-identifier") == consumer["id"]
        assert first.header("x-email") == "user-1@example.test" and first.header("x-scope") == "openid email"
        assert first.header("x-authenticated-groups") == "admins, ops"
        assert first.header("authorization") == f"Bearer {token}"
        assert responses[0].headers["x-subject"] == "user-1"
        for replayed in responses[1:]:
            assert rig.gw.echoed(replayed).headers == first.headers
            assert downstream(replayed) == downstream(responses[0])

    async def test_the_bearer_header_reaches_the_upstream_once_and_unchanged(
        self, rig: Rig, full_flows: list[str]
    ) -> None:
        """`upstream_access_token_header` (default `authorization:bearer`) sets the one Authorization header the
        upstream gets, also when a replayed request carries a second one (the key is the first)."""
        await rig.protect(auth_methods=["bearer"])
        token = rig.access_token()
        single = [await rig.gw.client.get("/api", headers=bearer(token)) for _ in range(2)]
        doubled = [
            await rig.gw.client.get("/api", headers=[("Authorization", f"Bearer {token}"), ("Authorization", "x")])
            for _ in range(2)
        ]
        for response in single + doubled:
            assert response.status_code == 200
            assert spelled(rig.gw.echoed(response).headers, "authorization") == [f"Bearer {token}"]
        assert len(full_flows) == 1  # the same first Authorization header: replays

    async def test_replayed_groups_still_feed_acl(self, rig: Rig, full_flows: list[str]) -> None:
        route = await rig.protect(auth_methods=["bearer"], authenticated_groups_claim=["groups"])
        await rig.gw.plugin("acl", {"allow": ["admins"]}, route={"id": route["id"]})
        admin, user = rig.access_token(groups=["admins"]), rig.access_token(groups=["users"])
        for _ in range(3):
            assert (await rig.gw.client.get("/api", headers=bearer(admin))).status_code == 200
            refused = await rig.gw.client.get("/api", headers=bearer(user))
            assert refused.status_code == 403 and refused.json() == {"message": "You cannot consume this service"}
        assert full_flows == ["/api", "/api"]  # one flow per token, then replays that acl judged the same

    @pytest.mark.parametrize("email", ["user-1@example.test", None], ids=["claim-present", "claim-absent"])
    async def test_client_supplied_identity_headers_never_survive_a_replay(
        self, rig: Rig, full_flows: list[str], email: str | None
    ) -> None:
        consumer = await rig.gw.consumer("user-1", custom_id="c-1")
        await rig.protect(
            auth_methods=["bearer"],
            consumer_claim=["sub"],
            upstream_headers_claims=["email"],
            upstream_headers_names=["X-Email"],
        )
        token = rig.access_token(email=email)
        clean = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
        spoofed = {
            "X-Consumer-Username": "admin",
            "x_consumer_username": "admin",
            "X-Consumer-ID": "forged-id",
            "X-Credential-Identifier": "forged-credential",
            "x_credential_identifier": "forged-credential",
            "X-Email": "admin@evil.test",
            "x_email": "admin@evil.test",
            "X-EMAIL": "admin@evil.test",
        }
        for _ in range(3):
            echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers={**bearer(token), **spoofed}))
            everything = json.dumps(echoed.headers)
            assert "admin" not in everything and "forged" not in everything and "evil" not in everything
            assert spelled(echoed.headers, "x-consumer-username") == ["user-1"]
            assert spelled(echoed.headers, "x-consumer-id") == [consumer["id"]]
            assert spelled(echoed.headers, "x-credential-identifier") == [consumer["id"]]
            assert spelled(echoed.headers, "x-email") == ([email] if email else [])
            assert sorted(echoed.headers) == sorted(clean.headers)  # the same set, in whatever order
        assert full_flows == ["/api"]  # all three were replays

    async def test_the_verdict_dies_with_the_token(self, rig: Rig, full_flows: list[str]) -> None:
        await rig.protect(auth_methods=["bearer"], leeway=0)
        exp = int(time.time()) + 2
        token = rig.access_token(exp=exp)
        for _ in range(3):
            assert rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token))).header("authorization")
        assert full_flows == ["/api"]
        await asyncio.sleep(exp - time.time() + 0.1)
        for _ in range(2):
            refused = await rig.gw.client.get("/api", headers=bearer(token))
            assert refused.status_code == 401 and refused.json() == {"message": "Unauthorized"}
            assert 'error="invalid_token"' in refused.headers["www-authenticate"]
        assert full_flows == ["/api"] * 3  # refusals are decided by the flow, never remembered


class TestConsumerChanges:
    """The Admin API writes through the database, whose change event drops the node's `kong.cache` entries of
    the entity (`Runtime.invalidate`), as on a node; the snapshot is not rebuilt here, so the verdict book
    survives and only the cache check can notice the change."""

    async def _mapped(self, rig: Rig) -> tuple[dict[str, object], str]:
        consumer = await rig.gw.consumer("user-1", custom_id="c-1")
        await rig.protect(auth_methods=["bearer"], consumer_claim=["sub"], consumer_by=["username"])
        return consumer, rig.access_token()

    async def test_a_changed_consumer_is_seen_at_once(self, rig: Rig, full_flows: list[str]) -> None:
        consumer, token = await self._mapped(rig)
        for _ in range(2):
            echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
            assert echoed.header("x-consumer-custom-id") == "c-1"
        assert len(full_flows) == 1
        patched = await rig.gw.admin.patch(f"/consumers/{consumer['id']}", json={"custom_id": "c-2"})
        assert patched.status_code == 200
        for _ in range(2):
            echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
            assert echoed.header("x-consumer-custom-id") == "c-2"
            assert echoed.header("x-consumer-username") == "user-1" and echoed.header("x-consumer-id") == consumer["id"]
        assert len(full_flows) == 2  # one full flow noticed the change, then the new outcome was replayed

    @pytest.mark.parametrize("change", ["delete", "rename"])
    async def test_a_consumer_gone_is_403(self, rig: Rig, full_flows: list[str], change: str) -> None:
        consumer, token = await self._mapped(rig)
        for _ in range(2):
            assert rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token))).header("x-consumer-id")
        assert len(full_flows) == 1
        if change == "delete":
            done = await rig.gw.admin.delete(f"/consumers/{consumer['id']}")
            assert done.status_code == 204
        else:
            done = await rig.gw.admin.patch(f"/consumers/{consumer['id']}", json={"username": "someone-else"})
            assert done.status_code == 200
        for _ in range(2):
            refused = await rig.gw.client.get("/api", headers=bearer(token))
            assert refused.status_code == 403 and refused.json() == {"message": "Forbidden"}
        assert len(full_flows) == 3


class TestNotReplayed:
    @pytest.mark.parametrize(
        ("method", "path", "config"),
        [
            ("GET", "/api/data?logout=1", {"logout_query_arg": "logout", "logout_methods": ["GET"]}),
            ("POST", "/api/data/logout", {"logout_uri_suffix": "/logout", "logout_methods": ["POST"]}),
        ],
        ids=["query-arg", "uri-suffix"],
    )
    async def test_a_session_logout_with_the_remembered_cookie_logs_out(
        self, rig: Rig, full_flows: list[str], method: str, path: str, config: dict[str, object]
    ) -> None:
        await rig.protect(client_auth=["none"], **config)
        await login(rig, rig.gw.client)
        for _ in range(2):
            assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 200
        assert full_flows[-2:] == ["/api/page", "/api/data"]  # the second /api/data was replayed
        flows = len(full_flows)
        response = await rig.gw.client.request(method, path, headers=XHR)
        assert response.status_code == 204, response.text
        assert "Max-Age=0" in response.headers["set-cookie"] and response.headers["set-cookie"].startswith("session=")
        assert len(full_flows) == flows + 1
        assert "session" not in rig.gw.client.cookies

    async def test_a_bearer_logout_with_the_remembered_token_logs_out(self, rig: Rig, full_flows: list[str]) -> None:
        await rig.protect(auth_methods=["bearer", "session"], logout_query_arg="logout", logout_methods=["POST"])
        token = rig.access_token()
        for _ in range(2):
            assert rig.gw.echoed(await rig.gw.client.post("/api", headers=bearer(token)))
        assert full_flows == ["/api"]
        response = await rig.gw.client.post("/api?logout", headers=bearer(token))
        assert response.status_code == 204 and "Max-Age=0" in response.headers["set-cookie"]
        assert full_flows == ["/api", "/api"]

    async def test_another_plugins_identity_is_kept_when_anonymous_is_set(
        self, rig: Rig, full_flows: list[str]
    ) -> None:
        guest = await rig.gw.consumer("guest")
        await rig.gw.consumer("user-1")
        alice = await rig.gw.consumer("alice")
        await rig.gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "alice-key"})
        route = await rig.protect(
            auth_methods=["bearer"],
            anonymous=guest["id"],
            consumer_claim=["sub"],
            upstream_headers_claims=["email"],
            upstream_headers_names=["X-Email"],
        )
        await rig.gw.plugin("key-auth", {"anonymous": guest["id"]}, route={"id": route["id"]})
        token = rig.access_token(email="user-1@example.test")
        by_token = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
        assert by_token.header("x-consumer-username") == "user-1" and by_token.header("x-anonymous-consumer") is None
        assert full_flows == ["/api"]
        both = rig.gw.echoed(await rig.gw.client.get("/api", headers={**bearer(token), "apikey": "alice-key"}))
        assert both.header("x-consumer-username") == "alice" and both.header("x-consumer-id") == alice["id"]
        assert both.header("x-credential-identifier") != by_token.header("x-credential-identifier")
        assert both.header("x-email") is None and both.header("x-anonymous-consumer") is None
        assert full_flows == ["/api", "/api"]  # not replayed: the flow saw key-auth's consumer and stepped aside
        again = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
        assert again.headers == by_token.headers and full_flows == ["/api", "/api"]


class TestSessions:
    async def test_identical_cookies_get_identical_upstream_requests(self, rig: Rig, full_flows: list[str]) -> None:
        await rig.gw.consumer("user-1", custom_id="c-1")
        await rig.protect(
            client_auth=["none"],
            consumer_claim=["sub"],
            upstream_id_token_header="X-Id-Token",
            upstream_headers_claims=["email"],
            upstream_headers_names=["X-Email"],
        )
        client = rig.gw.client
        await login(rig, client)
        session = client.cookies["session"]
        flows = len(full_flows)
        only_ours = [await client.get("/api/data", headers=XHR) for _ in range(4)]
        assert len(full_flows) == flows + 1
        first = rig.gw.echoed(only_ours[0])
        assert first.header("x-consumer-username") == "user-1" and first.header("x-email") == "user-1@example.test"
        assert first.header("x-id-token") and (first.header("authorization") or "").startswith("Bearer ")
        assert first.header("cookie") is None  # our cookie was the only one: no Cookie header at all
        for response in only_ours:
            assert "set-cookie" not in response.headers
            echoed = rig.gw.echoed(response)
            assert echoed.headers == first.headers and session not in json.dumps(echoed.headers)
        client.cookies.set("app", "kept", domain="127.0.0.1", path="/")
        with_app = [await client.get("/api/data", headers=XHR) for _ in range(3)]
        assert len(full_flows) == flows + 2  # another Cookie header: one more full flow, then replays
        kept = rig.gw.echoed(with_app[0])
        for response in with_app:
            echoed = rig.gw.echoed(response)
            assert spelled(echoed.headers, "cookie") == ["app=kept"]
            assert session not in json.dumps(echoed.headers)
            assert echoed.headers == kept.headers

    async def test_a_remembered_cookie_never_outlives_its_idle_timeout(self, rig: Rig, full_flows: list[str]) -> None:
        """A request that rewrites the session (its periodic re-save) answers with a new cookie; the cookie it
        came with still dies at its own idle timeout, and an identical request after that is refused."""
        idle = 4.0
        await rig.protect(client_auth=["none"], session_cookie_idletime=idle)
        await login(rig, rig.gw.client)
        logged_in = time.time()  # the cookie's last_seen is at most this
        cookie = {**XHR, "Cookie": f"session={rig.gw.client.cookies['session']}"}
        async with httpx.AsyncClient(base_url=rig.gw.client.base_url) as fresh:  # no cookie jar in the way
            await asyncio.sleep(logged_in + idle - 0.6 - time.time())  # well past a quarter of the idle time
            resaved = await fresh.get("/api/data", headers=cookie)
            assert resaved.status_code == 200 and resaved.headers["set-cookie"].startswith("session=")
            await asyncio.sleep(logged_in + idle + 0.05 - time.time())
            refused = await fresh.get("/api/data", headers=cookie)
            assert refused.status_code == 401, "the old cookie was idle too long; replaying it extended it"
        assert full_flows[-2:] == ["/api/data", "/api/data"]

    async def test_a_periodic_resave_is_replayed_with_the_same_new_cookie(
        self, rig: Rig, full_flows: list[str]
    ) -> None:
        """A client that keeps sending the cookie it has (a script ignoring Set-Cookie) after the session was
        due for its periodic re-save gets the re-saved cookie again from the verdict, not a re-encryption per
        request; the new cookie works too."""
        idle = 8.0  # re-saved after a quarter of it
        await rig.protect(client_auth=["none"], session_cookie_idletime=idle)
        await login(rig, rig.gw.client)
        logged_in = time.time()
        cookie = {**XHR, "Cookie": f"session={rig.gw.client.cookies['session']}"}
        async with httpx.AsyncClient(base_url=rig.gw.client.base_url) as fresh:
            await asyncio.sleep(logged_in + idle / 4 + 0.2 - time.time())
            flows = len(full_flows)
            resaved = await fresh.get("/api/data", headers=cookie)
            again = await fresh.get("/api/data", headers=cookie)
            assert resaved.status_code == again.status_code == 200
            assert len(full_flows) == flows + 1  # the second one was replayed
            new_cookie = resaved.headers["set-cookie"]
            assert new_cookie.startswith("session=") and again.headers["set-cookie"] == new_cookie
            assert rig.gw.echoed(again).headers == rig.gw.echoed(resaved).headers
            value = new_cookie.split(";", 1)[0].split("=", 1)[1]
            assert value != rig.gw.client.cookies["session"]
            renewed = await fresh.get("/api/data", headers={**XHR, "Cookie": f"session={value}"})
            assert renewed.status_code == 200 and "set-cookie" not in renewed.headers

    @pytest.mark.redis
    async def test_server_side_sessions_are_never_replayed(self, rig: Rig, full_flows: list[str]) -> None:
        prefix = f"sekisho-verdicts-test-{time.time_ns()}"
        await rig.protect(client_auth=["none"], session_storage="redis", session_redis_prefix=prefix)
        redis = redis_asyncio.Redis(host="127.0.0.1", port=6379)
        try:
            await login(rig, rig.gw.client)
            flows = len(full_flows)
            for _ in range(3):
                assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 200
            assert len(full_flows) == flows + 3  # each one looked the session up
            keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
            assert len(keys) == 1
            await redis.delete(*keys)
            refused = await rig.gw.client.get("/api/data", headers=XHR)
            assert refused.status_code == 401
        finally:
            async for key in redis.scan_iter(f"{prefix}:*"):
                await redis.delete(key)
            await redis.aclose()
