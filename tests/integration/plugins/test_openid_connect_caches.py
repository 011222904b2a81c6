"""`cache_tokens` and `cache_user_info` of `openid-connect`, through the real proxy against the rogue provider:
what reaches the provider (and what does not) when answers are cached, and when they must not be."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.plugins.test_openid_connect import Rig, bearer, rogue_rig


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rogue_rig(tmp_path) as running:
        running.op.passwords = {"alice": "alice-pw", "bob": "bob-pw"}
        yield running


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def grants(rig: Rig, grant_type: str = "password") -> int:
    return sum(1 for form in rig.op.token_requests if form.get("grant_type") == grant_type)


async def upstream_token(rig: Rig, path: str, headers: dict[str, str]) -> str | None:
    return rig.gw.echoed(await rig.gw.client.get(path, headers=headers)).header("authorization")


class TestCacheTokens:
    async def test_password_grant_answers_are_cached_per_credentials(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["password"], client_auth=["none"])
        first = await upstream_token(rig, "/api", basic("alice", "alice-pw"))
        assert first is not None and first.startswith("Bearer ")
        assert await upstream_token(rig, "/api", basic("alice", "alice-pw")) == first
        assert grants(rig) == 1
        other = await upstream_token(rig, "/api", basic("bob", "bob-pw"))
        assert other != first and grants(rig) == 2
        # refusals are never cached, and a wrong password never meets alice's cached token
        for expected_grants in (3, 4):
            response = await rig.gw.client.get("/api", headers=basic("alice", "wrong"))
            assert response.status_code == 401
            assert grants(rig) == expected_grants
        assert await upstream_token(rig, "/api", basic("alice", "alice-pw")) == first
        assert grants(rig) == 4

    async def test_client_credentials_answers_are_cached(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["client_credentials"], client_auth=["none"])
        first = await upstream_token(rig, "/api", basic(rig.op.client_id, "a-secret"))
        assert await upstream_token(rig, "/api", basic(rig.op.client_id, "a-secret")) == first
        assert grants(rig, "client_credentials") == 1
        await upstream_token(rig, "/api", basic(rig.op.client_id, "another-secret"))
        assert grants(rig, "client_credentials") == 2

    async def test_cache_tokens_off_asks_every_time(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["password"], client_auth=["none"], cache_tokens=False)
        first = await upstream_token(rig, "/api", basic("alice", "alice-pw"))
        second = await upstream_token(rig, "/api", basic("alice", "alice-pw"))
        assert grants(rig) == 2 and first != second

    async def test_instances_share_the_cache_only_through_the_same_salt(self, rig: Rig) -> None:
        for path in ("/salted-a", "/salted-b"):
            await rig.protect(path, auth_methods=["password"], client_auth=["none"], cache_tokens_salt="shared")
        for path in ("/own-a", "/own-b"):
            await rig.protect(path, auth_methods=["password"], client_auth=["none"])
        salted = await upstream_token(rig, "/salted-a", basic("alice", "alice-pw"))
        assert await upstream_token(rig, "/salted-b", basic("alice", "alice-pw")) == salted
        assert grants(rig) == 1
        own_a = await upstream_token(rig, "/own-a", basic("alice", "alice-pw"))
        own_b = await upstream_token(rig, "/own-b", basic("alice", "alice-pw"))
        assert len({salted, own_a, own_b}) == 3 and grants(rig) == 3

    async def test_a_cached_token_that_fails_verification_is_asked_for_again_once(self, rig: Rig) -> None:
        # the provider claims 300 s but its JWTs live 2 s: the cached token outlives its `exp`
        rig.op.token_lifetime, rig.op.expires_in = 2, 300
        await rig.protect(auth_methods=["password"], client_auth=["none"], leeway=0)
        first = await upstream_token(rig, "/api", basic("alice", "alice-pw"))
        await asyncio.sleep(2.5)
        rig.op.token_lifetime = 300
        second = await upstream_token(rig, "/api", basic("alice", "alice-pw"))
        assert second != first and grants(rig) == 2
        # the fresh answer replaced the stale one in the cache
        assert await upstream_token(rig, "/api", basic("alice", "alice-pw")) == second
        assert grants(rig) == 2

    async def test_a_retry_that_fails_verification_too_is_refused(self, rig: Rig) -> None:
        rig.op.token_lifetime, rig.op.expires_in = 2, 300
        await rig.protect(auth_methods=["password"], client_auth=["none"], leeway=0)
        await upstream_token(rig, "/api", basic("alice", "alice-pw"))
        await asyncio.sleep(2.5)
        rig.op.tamper_id_token = {"aud": "someone-else"}  # the fresh answer is bad too
        response = await rig.gw.client.get("/api", headers=basic("alice", "alice-pw"))
        assert response.status_code == 401
        assert grants(rig) == 2  # exactly one uncached retry


class TestCacheUserInfo:
    async def test_userinfo_is_fetched_once_per_access_token(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], upstream_user_info_header="X-Userinfo")
        token = rig.op.mint()["access_token"]
        for _ in range(3):
            echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
            assert echoed.header("x-userinfo") is not None
        assert rig.op.userinfo_requests == 1
        other = rig.op.mint()["access_token"]
        assert (await rig.gw.client.get("/api", headers=bearer(other))).status_code == 200
        assert rig.op.userinfo_requests == 2

    async def test_cache_user_info_off_asks_every_time(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], upstream_user_info_header="X-Userinfo", cache_user_info=False)
        token = rig.op.mint()["access_token"]
        for _ in range(2):
            assert (await rig.gw.client.get("/api", headers=bearer(token))).status_code == 200
        assert rig.op.userinfo_requests == 2

    async def test_userinfo_authentication_caches_answers_but_never_refusals(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["userinfo"])
        for _ in range(2):
            assert (await rig.gw.client.get("/api", headers=bearer("opaque-userinfo"))).status_code == 200
        assert rig.op.userinfo_requests == 1
        for expected in (2, 3):
            assert (await rig.gw.client.get("/api", headers=bearer("never-issued"))).status_code == 401
            assert rig.op.userinfo_requests == expected

    async def test_a_userinfo_about_someone_else_stays_refused_when_cached(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], upstream_user_info_header="X-Userinfo")
        rig.op.userinfo_extra = {"sub": "mallory"}
        token = rig.op.mint()["access_token"]
        for _ in range(2):
            echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
            assert echoed.header("x-userinfo") is None
        assert rig.op.userinfo_requests == 1
