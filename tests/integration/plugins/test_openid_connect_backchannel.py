"""Back-Channel Logout 1.0 through the real proxy (oidc-security.md §0 item 9, LO-06, LO-07, JWT-25): the rogue
provider signs logout tokens, the gateway ends the sessions they name, and refuses every bad one with 400."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio

from tests.helpers.rogue_provider import RogueProvider
from tests.integration.plugins.test_openid_connect import BROWSER, Rig, login, rogue_rig

XHR = {"Accept": "application/json"}
ENDPOINT = "/api/backchannel-logout"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rogue_rig(tmp_path) as running:
        yield running
        for browser in _BROWSERS:
            await browser.aclose()
        _BROWSERS.clear()


_BROWSERS: list[httpx.AsyncClient] = []


async def protect(rig: Rig, **config: Any) -> None:
    await rig.protect(client_auth=["none"], backchannel_logout_uri_suffix="/backchannel-logout", leeway=5, **config)


async def post_logout(rig: Rig, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=str(rig.gw.client.base_url)) as provider:
        return await provider.post(ENDPOINT, content=f"logout_token={token}", headers=FORM)


def b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "logout+jwt"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def hs256_with_public_key(op: RogueProvider, claims: dict[str, Any]) -> str:
    """The classic confusion: HMAC keyed with the provider's RSA public key."""
    secret = op.keys[0].as_pem(private=False)
    signing_input = (
        f"{b64(json.dumps({'alg': 'HS256', 'typ': 'logout+jwt'}).encode())}.{b64(json.dumps(claims).encode())}"
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


async def logged_in(rig: Rig, subject: str, sid: str | None = None) -> httpx.AsyncClient:
    rig.op.subject, rig.op.sid = subject, sid
    browser = httpx.AsyncClient(base_url=str(rig.gw.client.base_url))
    _BROWSERS.append(browser)
    await login(rig, browser)
    assert (await browser.get("/api/data", headers=XHR)).status_code == 200
    return browser


class TestValidLogoutToken:
    async def test_ends_the_cookie_session_of_that_user_only(self, rig: Rig) -> None:
        await protect(rig)
        alice = await logged_in(rig, "alice")
        bob = await logged_in(rig, "bob")
        rig.op.subject = "alice"
        response = await post_logout(rig, rig.op.logout_token())
        assert response.status_code == 200 and response.text == ""
        assert "no-store" in response.headers["cache-control"]
        assert (await alice.get("/api/data", headers=XHR)).status_code == 401
        again = await alice.get("/api/data", headers=BROWSER)
        assert again.status_code == 302 and "/op/authorize" in again.headers["location"]
        assert (await bob.get("/api/data", headers=XHR)).status_code == 200
        # a login after the logout is a new session and works
        await login(rig, alice)
        assert (await alice.get("/api/data", headers=XHR)).status_code == 200

    async def test_a_sid_ends_only_that_session(self, rig: Rig) -> None:
        await protect(rig)
        laptop = await logged_in(rig, "carol", sid="sid-laptop")
        phone = await logged_in(rig, "carol", sid="sid-phone")
        token = rig.op.logout_token(sid="sid-laptop")
        assert (await post_logout(rig, token)).status_code == 200
        assert (await laptop.get("/api/data", headers=XHR)).status_code == 401
        assert (await phone.get("/api/data", headers=XHR)).status_code == 200
        assert (await post_logout(rig, rig.op.logout_token(sid="sid-phone", sub=None))).status_code == 200
        assert (await phone.get("/api/data", headers=XHR)).status_code == 401

    async def test_a_replayed_cookie_stays_dead(self, rig: Rig) -> None:  # LO-10
        await protect(rig)
        browser = await logged_in(rig, "dave")
        value = browser.cookies["session"]
        assert (await post_logout(rig, rig.op.logout_token())).status_code == 200
        replay = await rig.gw.client.get("/api/data", headers={**XHR, "Cookie": f"session={value}"})
        assert replay.status_code == 401

    @pytest.mark.redis
    async def test_redis_sessions_are_deleted_server_side(self, rig: Rig) -> None:
        prefix = f"sekisho-bcl-test-{time.time_ns()}"
        await protect(rig, session_storage="redis", session_redis_prefix=prefix)
        erin = await logged_in(rig, "erin")
        frank = await logged_in(rig, "frank")
        client = redis_asyncio.Redis(host="127.0.0.1", port=6379)
        try:
            sessions = [key async for key in client.scan_iter(f"{prefix}:*") if b":bcl:" not in key]
            assert len(sessions) == 2
            rig.op.subject = "erin"
            response = await post_logout(rig, rig.op.logout_token())
            assert response.status_code == 200 and "no-store" in response.headers["cache-control"]
            left = [key async for key in client.scan_iter(f"{prefix}:*") if b":bcl:" not in key]
            assert len(left) == 1
            assert (await erin.get("/api/data", headers=XHR)).status_code == 401
            assert (await frank.get("/api/data", headers=XHR)).status_code == 200
            # the jti is remembered in Redis: shared by every worker and node
            assert [key async for key in client.scan_iter(f"{prefix}:bcl:jti:*")]
        finally:
            async for key in client.scan_iter(f"{prefix}:*"):
                await client.delete(key)
            await client.aclose()

    @pytest.mark.redis
    async def test_cookie_sessions_are_refused_on_every_node_sharing_redis(self, rig: Rig, tmp_path: Path) -> None:
        prefix = f"sekisho-bcl-test-{time.time_ns()}"
        shared = {
            "session_secret": "a-session-secret-shared-by-nodes",
            "backchannel_logout_storage": "redis",
            "session_redis_prefix": prefix,
        }
        await protect(rig, **shared)
        browser = await logged_in(rig, "grace")
        cookie = {"Cookie": f"session={browser.cookies['session']}"}
        client = redis_asyncio.Redis(host="127.0.0.1", port=6379)
        (tmp_path / "second").mkdir()
        try:
            async with rogue_rig(tmp_path / "second") as second:
                second.op.base_url = rig.op.base_url
                await protect(second, **shared)
                assert (await second.gw.client.get("/api/data", headers={**XHR, **cookie})).status_code == 200
                assert (await post_logout(rig, rig.op.logout_token())).status_code == 200  # reaches node one
                assert (await second.gw.client.get("/api/data", headers={**XHR, **cookie})).status_code == 401
                assert (await browser.get("/api/data", headers=XHR)).status_code == 401
        finally:
            async for key in client.scan_iter(f"{prefix}:*"):
                await client.delete(key)
            await client.aclose()

    async def test_without_redis_the_memory_list_is_per_node(self, rig: Rig, tmp_path: Path) -> None:
        """The documented limit of `backchannel_logout_storage = memory`: the other node never hears of it."""
        shared = {"session_secret": "a-session-secret-shared-by-nodes"}
        await protect(rig, **shared)
        browser = await logged_in(rig, "heidi")
        cookie = {"Cookie": f"session={browser.cookies['session']}"}
        (tmp_path / "second").mkdir()
        async with rogue_rig(tmp_path / "second") as second:
            second.op.base_url = rig.op.base_url
            await protect(second, **shared)
            assert (await post_logout(rig, rig.op.logout_token())).status_code == 200
            assert (await browser.get("/api/data", headers=XHR)).status_code == 401
            assert (await second.gw.client.get("/api/data", headers={**XHR, **cookie})).status_code == 200


class TestInvalidLogoutTokens:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"iss": "https://evil.example/op"},
            {"aud": "someone-else"},
            {"events": None},
            {"events": {"http://schemas.openid.net/event/other": {}}},
            {"events": {"http://schemas.openid.net/event/backchannel-logout": "yes"}},
            {"events": ["http://schemas.openid.net/event/backchannel-logout"]},
            {"nonce": "n-0S6_WzA2Mj"},
            {"sub": None, "sid": None},
            {"iat": None},
            {"iat": int(time.time()) - 3600},
            {"iat": int(time.time()) + 3600},
            {"exp": int(time.time()) - 3600},
            {"jti": None},
        ],
        ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
    )
    async def test_bad_claims_get_400_and_end_nothing(self, rig: Rig, overrides: dict[str, Any]) -> None:
        await protect(rig)
        browser = await logged_in(rig, "user-1")
        response = await post_logout(rig, rig.op.logout_token(**overrides))
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request"
        assert "no-store" in response.headers["cache-control"]
        assert (await browser.get("/api/data", headers=XHR)).status_code == 200

    async def test_alg_none_is_refused(self, rig: Rig) -> None:
        await protect(rig)
        response = await post_logout(rig, unsigned(rig.op.logout_claims()))
        assert response.status_code == 400 and "no-store" in response.headers["cache-control"]

    async def test_hs256_keyed_with_the_rsa_public_key_is_refused(self, rig: Rig) -> None:
        await protect(rig)
        browser = await logged_in(rig, "user-1")
        response = await post_logout(rig, hs256_with_public_key(rig.op, rig.op.logout_claims()))
        assert response.status_code == 400
        assert (await browser.get("/api/data", headers=XHR)).status_code == 200

    async def test_a_stranger_key_and_a_foreign_typ_are_refused(self, rig: Rig) -> None:
        await protect(rig)
        assert (await post_logout(rig, rig.op.logout_token(key=RogueProvider.new_rsa_key()))).status_code == 400
        assert (await post_logout(rig, rig.op.logout_token(header={"typ": "at+jwt"}))).status_code == 400
        assert (await post_logout(rig, rig.op.logout_token(header={"typ": "JWT"}))).status_code == 200

    async def test_a_replayed_jti_is_refused(self, rig: Rig) -> None:
        await protect(rig)
        token = rig.op.logout_token()
        assert (await post_logout(rig, token)).status_code == 200
        browser = await logged_in(rig, "user-1")  # logged in after the logout
        replay = await post_logout(rig, token)
        assert replay.status_code == 400 and "no-store" in replay.headers["cache-control"]
        assert (await browser.get("/api/data", headers=XHR)).status_code == 200
        same_jti = rig.op.logout_token(jti=json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==")).get("jti"))
        assert (await post_logout(rig, same_jti)).status_code == 400

    @pytest.mark.parametrize(
        ("body", "headers"),
        [
            ("", FORM),
            ("logout_token=", FORM),
            ("logout_token=a&logout_token=b", FORM),
            ("token=abc", FORM),
            ("logout_token=not-a-jwt", FORM),
            ("%%%", FORM),
            ('{"logout_token": "x"}', {"Content-Type": "application/json"}),
            ("logout_token=" + "a" * (70 * 1024), FORM),
        ],
        ids=["empty", "blank", "twice", "other-field", "not-jwt", "garbage", "json", "too-large"],
    )
    async def test_malformed_bodies_get_400(self, rig: Rig, body: str, headers: dict[str, str]) -> None:
        await protect(rig)
        async with httpx.AsyncClient(base_url=str(rig.gw.client.base_url)) as provider:
            response = await provider.post(ENDPOINT, content=body, headers=headers)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"
        assert "no-store" in response.headers["cache-control"]

    async def test_a_logout_token_is_not_an_access_token(self, rig: Rig) -> None:
        await protect(rig, auth_methods=["bearer", "session"])
        token = rig.op.logout_token(exp=int(time.time()) + 300, header={"typ": "JWT"})
        response = await rig.gw.client.get("/api/data", headers={**XHR, "Authorization": f"Bearer {token}"})
        assert response.status_code == 401

    async def test_discovery_down_answers_400_not_5xx(self, rig: Rig) -> None:
        await protect(rig)
        rig.op.discovery_mode = "error"
        response = await post_logout(rig, rig.op.logout_token())
        assert response.status_code == 400 and "no-store" in response.headers["cache-control"]


async def test_off_by_default_the_path_is_an_ordinary_request(rig: Rig) -> None:
    await rig.protect(client_auth=["none"])
    response = await post_logout(rig, rig.op.logout_token())
    assert response.status_code == 401  # no session, no credentials: the endpoint does not exist
