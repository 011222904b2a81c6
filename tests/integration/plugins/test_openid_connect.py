"""`openid-connect` end to end: a real proxy, a real SQLite store, a real echo upstream and a real (scriptable,
misbehaving on demand) OpenID provider on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers.asgi_server import serve_asgi
from tests.helpers.rogue_provider import RogueProvider
from tests.integration.plugins.support import PLUGINS, Gateway, running_gateway

BROWSER = {"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate"}


@dataclass
class Rig:
    gw: Gateway
    op: RogueProvider

    async def protect(self, path: str = "/api", **config: Any) -> dict[str, Any]:
        route = await self.gw.route(path)
        conf = {"issuer": self.op.issuer, "client_id": [self.op.client_id], "ssl_verify": False, **config}
        await self.gw.plugin("openid-connect", conf, route={"id": route["id"]})
        return route

    def access_token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.op.issuer,
            "sub": "user-1",
            "client_id": self.op.client_id,
            "token_use": "access",
            "scope": "openid email",
            "iat": now,
            "exp": now + 300,
            **overrides,
        }
        return self.op.sign({k: v for k, v in claims.items() if v is not None})


@asynccontextmanager
async def rogue_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """A gateway with `openid-connect` and a rogue provider (shared by the test_openid_connect_* modules)."""
    op = RogueProvider()
    async with serve_asgi(op.app()) as base:
        op.base_url = base
        async with running_gateway(tmp_path, plugin_names=(*PLUGINS, "openid-connect")) as gw:
            yield Rig(gw, op)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rogue_rig(tmp_path) as running:
        yield running


async def login(rig: Rig, client: httpx.AsyncClient, path: str = "/api/page?x=1") -> httpx.Response:
    """Browser-style login through the rogue provider (which approves at once); the callback's response."""
    first = await client.get(path, headers=BROWSER)
    assert first.status_code == 302, (first.status_code, first.text)
    async with httpx.AsyncClient() as idp:
        back = await idp.get(first.headers["location"])
    assert back.status_code in (302, 307)
    return await client.get(back.headers["location"], headers=BROWSER)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestBearer:
    async def test_a_valid_access_token_reaches_the_upstream(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"])
        token = rig.access_token()
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
        assert echoed.header("authorization") == f"Bearer {token}"

    @pytest.mark.parametrize(
        "overrides",
        [
            {"exp": int(time.time()) - 60},
            {"exp": None},
            {"iss": "https://evil.example/op"},
            {"token_use": "id"},
            {"iat": int(time.time()) + 3600},
        ],
    )
    async def test_bad_tokens_get_401_with_a_bearer_challenge(self, rig: Rig, overrides: dict[str, Any]) -> None:
        await rig.protect(auth_methods=["bearer"])
        response = await rig.gw.client.get("/api", headers=bearer(rig.access_token(**overrides)))
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith('Bearer realm="127.0.0.1"') and 'error="invalid_token"' in challenge

    async def test_a_token_signed_by_a_stranger_is_refused(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"])
        stranger = RogueProvider.new_rsa_key()
        token = rig.op.sign({"iss": rig.op.issuer, "sub": "x", "exp": int(time.time()) + 60}, key=stranger)
        assert (await rig.gw.client.get("/api", headers=bearer(token))).status_code == 401

    async def test_an_invalid_bearer_never_falls_back_to_a_login_redirect(self, rig: Rig) -> None:
        await rig.protect()  # every method, authorization_code included
        response = await rig.gw.client.get("/api", headers={**BROWSER, **bearer("not-a-jwt")})
        assert response.status_code == 401

    async def test_scopes_required_answers_403(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], scopes_required=["admin", "openid email"])
        assert (await rig.gw.client.get("/api", headers=bearer(rig.access_token()))).status_code == 200
        await rig.protect("/admin", auth_methods=["bearer"], scopes_required=["admin"])
        response = await rig.gw.client.get("/admin", headers=bearer(rig.access_token()))
        assert response.status_code == 403 and response.json() == {"message": "Forbidden"}

    async def test_cognito_access_tokens_pin_the_client_with_audience_claim(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], audience_claim=["client_id"], audience_required=["client-1"])
        assert (await rig.gw.client.get("/api", headers=bearer(rig.access_token()))).status_code == 200
        other = rig.access_token(client_id="other-client")
        assert (await rig.gw.client.get("/api", headers=bearer(other))).status_code == 403

    async def test_groups_from_cognito_groups(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], groups_claim=["cognito:groups"], groups_required=["admins"])
        ok = rig.access_token(**{"cognito:groups": ["users", "admins"]})
        assert (await rig.gw.client.get("/api", headers=bearer(ok))).status_code == 200
        nope = rig.access_token(**{"cognito:groups": ["users"]})
        assert (await rig.gw.client.get("/api", headers=bearer(nope))).status_code == 403

    async def test_client_supplied_identity_headers_are_removed(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"])
        spoofed = {"X-Consumer-Username": "admin", "x_consumer_id": "1", "X-Anonymous-Consumer": "false"}
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers={**bearer(rig.access_token()), **spoofed}))
        assert echoed.header("x-consumer-username") is None
        assert echoed.header("x-anonymous-consumer") is None
        assert not [k for k, _ in echoed.headers if k.replace("_", "-") == "x-consumer-id"]

    async def test_unreachable_provider_fails_closed(self, rig: Rig) -> None:
        route = await rig.gw.route("/down")
        conf = {"issuer": "http://127.0.0.1:9/op", "client_id": ["c"], "auth_methods": ["bearer"], "timeout": 1000}
        await rig.gw.plugin("openid-connect", conf, route={"id": route["id"]})
        response = await rig.gw.client.get("/down", headers=bearer(rig.access_token()))
        assert response.status_code == 500 and response.json() == {"message": "An unexpected error occurred"}

    async def test_introspection_of_opaque_tokens(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["introspection"], upstream_introspection_header="X-Introspection")
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer("opaque-good")))
        assert echoed.header("x-introspection") is not None
        assert (await rig.gw.client.get("/api", headers=bearer("inactive"))).status_code == 401


class TestConsumers:
    async def test_consumer_mapping_sets_kong_headers(self, rig: Rig) -> None:
        consumer = await rig.gw.consumer("user-1", custom_id="c-1")
        await rig.protect(auth_methods=["bearer"], consumer_claim=["sub"])
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(rig.access_token())))
        assert echoed.header("x-consumer-id") == consumer["id"]
        assert echoed.header("x-consumer-username") == "user-1"
        assert echoed.header("x-consumer-custom-id") == "c-1"

    async def test_missing_consumer_is_403_unless_optional(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], consumer_claim=["sub"])
        assert (await rig.gw.client.get("/api", headers=bearer(rig.access_token()))).status_code == 403
        await rig.protect("/optional", auth_methods=["bearer"], consumer_claim=["sub"], consumer_optional=True)
        echoed = rig.gw.echoed(await rig.gw.client.get("/optional", headers=bearer(rig.access_token())))
        assert echoed.header("x-credential-identifier") == "user-1"

    async def test_anonymous_consumer_when_authentication_fails(self, rig: Rig) -> None:
        anonymous = await rig.gw.consumer("guest")
        await rig.protect(auth_methods=["bearer"], anonymous=anonymous["id"])
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer("garbage")))
        assert echoed.header("x-anonymous-consumer") == "true"
        assert echoed.header("x-consumer-username") == "guest"

    async def test_beside_key_auth_with_anonymous(self, rig: Rig) -> None:
        anonymous = await rig.gw.consumer("guest")
        alice = await rig.gw.consumer("alice")
        await rig.gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "alice-key"})
        route = await rig.protect(auth_methods=["bearer"], anonymous=anonymous["id"])
        await rig.gw.plugin("key-auth", {"anonymous": anonymous["id"]}, route={"id": route["id"]})
        by_key = rig.gw.echoed(await rig.gw.client.get("/api", headers={"apikey": "alice-key"}))
        assert by_key.header("x-consumer-username") == "alice"
        by_token = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(rig.access_token())))
        assert (
            by_token.header("x-anonymous-consumer") is None and by_token.header("x-credential-identifier") == "user-1"
        )
        nobody = rig.gw.echoed(await rig.gw.client.get("/api"))
        assert nobody.header("x-anonymous-consumer") == "true"


class TestAuthorizationCodeFlow:
    async def test_api_clients_get_401_browsers_get_redirected(self, rig: Rig) -> None:
        await rig.protect()
        api = await rig.gw.client.get("/api", headers={"Accept": "application/json"})
        assert api.status_code == 401
        browser = await rig.gw.client.get("/api/page?x=1", headers=BROWSER)
        assert browser.status_code == 302
        location = urlsplit(browser.headers["location"])
        assert location.path == "/op/authorize"
        params = parse_qs(location.query)
        assert params["code_challenge_method"] == ["S256"] and len(params["code_challenge"][0]) == 43
        assert params["client_id"] == ["client-1"] and params["scope"] == ["openid"]
        assert params["state"][0] and params["nonce"][0]
        assert params["redirect_uri"] == [f"http://127.0.0.1:{rig.gw.client.base_url.port}/api/page"]
        cookie = browser.headers["set-cookie"]
        assert cookie.startswith("authorization=") and "HttpOnly" in cookie
        assert "no-store" in browser.headers["cache-control"]

    async def test_full_login_session_and_logout(self, rig: Rig) -> None:
        await rig.protect(
            scopes=["openid", "email"],
            client_auth=["none"],
            logout_query_arg="logout",
            logout_methods=["GET"],
            logout_redirect_uri=[rig.op.base_url + "/logged-out"],
            upstream_id_token_header="X-Id-Token",
        )
        client = rig.gw.client
        callback = await login(rig, client)
        token_request = rig.op.token_requests[-1]
        assert token_request["grant_type"] == "authorization_code" and token_request["code_verifier"]
        assert token_request["client_id"] == "client-1" and token_request["authorization"] == ""
        # after the callback the browser goes back to the page that started the login
        assert callback.status_code == 302 and callback.headers["location"] == "/api/page"
        assert "session=" in callback.headers.get("set-cookie", "")
        page = await client.get("/api/page", headers=BROWSER)
        echoed = rig.gw.echoed(page)
        assert echoed.header(
            "authorization",
        ).startswith("Bearer ")
        assert echoed.header("x-id-token") is not None
        assert "session=" not in (echoed.header("cookie") or "")  # the upstream never sees our session
        api_call = await client.get("/api/data", headers={"Accept": "application/json"})
        assert api_call.status_code == 200  # the session also authenticates XHR calls
        logout = await client.get("/api/page?logout=1", headers=BROWSER)
        assert logout.status_code == 302 and logout.headers["location"] == rig.op.base_url + "/logged-out"
        assert "Max-Age=0" in logout.headers["set-cookie"]
        client.cookies.clear()
        assert (await client.get("/api/data", headers={"Accept": "application/json"})).status_code == 401

    async def test_state_mismatch_is_refused(self, rig: Rig) -> None:
        await rig.protect(client_auth=["none"])
        client = rig.gw.client
        first = await client.get("/api/page", headers=BROWSER)
        async with httpx.AsyncClient() as idp:
            back = await idp.get(first.headers["location"])
        forged = back.headers["location"].replace("state=", "state=x")
        response = await client.get(forged, headers=BROWSER)
        assert response.status_code == 302 and "/op/authorize" in response.headers["location"]  # starts over
        params = parse_qs(urlsplit(back.headers["location"]).query)
        duplicated = back.headers["location"] + "&state=" + params["state"][0]
        assert (await client.get(duplicated, headers=BROWSER)).status_code == 401

    async def test_a_wrong_nonce_in_the_id_token_is_refused(self, rig: Rig) -> None:
        await rig.protect(client_auth=["none"])
        rig.op.tamper_id_token = {"nonce": "not-the-one-we-sent"}
        response = await login(rig, rig.gw.client)
        assert response.status_code == 401

    async def test_expired_session_tokens_are_refreshed_keeping_the_refresh_token(self, rig: Rig) -> None:
        await rig.protect(client_auth=["none"], leeway=0)
        rig.op.token_lifetime = 2
        client = rig.gw.client
        await login(rig, client)
        rig.op.token_lifetime = 300
        await asyncio.sleep(2.2)
        echoed = rig.gw.echoed(await client.get("/api/data", headers={"Accept": "application/json"}))
        assert echoed.header("authorization") is not None
        assert rig.op.token_requests[-1]["grant_type"] == "refresh_token"
        await asyncio.sleep(0.1)
        assert (await client.get("/api/data", headers={"Accept": "application/json"})).status_code == 200

    async def test_tampered_session_cookie_is_no_session(self, rig: Rig) -> None:
        await rig.protect(client_auth=["none"])
        client = rig.gw.client
        await login(rig, client)
        value = client.cookies["session"]
        tampered = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
        client.cookies.set("session", tampered, domain="127.0.0.1", path="/")
        assert (await client.get("/api/data", headers={"Accept": "application/json"})).status_code == 401

    async def test_login_action_redirect_with_query_tokens(self, rig: Rig) -> None:
        target = rig.op.base_url + "/portal"
        await rig.protect(
            client_auth=["none"], login_action="redirect", login_redirect_mode="query", login_redirect_uri=[target]
        )
        response = await login(rig, rig.gw.client)
        assert response.status_code == 302
        location = urlsplit(response.headers["location"])
        assert location.path == "/portal" and "id_token" in parse_qs(location.query)
