"""A real headless Chromium logs in through panva's oidc-provider (an independent, certified OpenID provider)
behind the real proxy: authorization code + PKCE, session, transparent refresh, the session's opaque access
token at the userinfo and introspection methods, and RP-initiated logout through `end_session_endpoint`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.helpers.node_op_runner import run_node_op
from tests.integration.plugins.support import PLUGINS, Gateway, running_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLIENT_ID = "web-app"
ACCESS_TOKEN_TTL = 3


@dataclass
class Setup:
    gw: Gateway
    issuer: str
    origin: str

    async def protect(self, path: str, **config: Any) -> None:
        route = await self.gw.route(path)
        conf = {"issuer": self.issuer, "client_id": [CLIENT_ID], "client_auth": ["none"], **config}
        await self.gw.plugin("openid-connect", conf, route={"id": route["id"]})


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    async with running_gateway(tmp_path, plugin_names=(*PLUGINS, "openid-connect")) as gw:
        origin = f"http://127.0.0.1:{gw.client.base_url.port}"
        client = {
            "client_id": CLIENT_ID,
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "redirect_uris": [origin + "/app/callback"],
        }
        async with run_node_op([client], access_token_ttl=ACCESS_TOKEN_TTL) as issuer:
            yield Setup(gw, issuer, origin)


async def echoed(page: Any, url: str) -> dict[str, Any]:
    """Navigate and return what the echo upstream received (its JSON answer as the browser shows it)."""
    response = await page.goto(url)
    assert response is not None and response.status == 200, (response and response.status, page.url)
    data: dict[str, Any] = json.loads(await page.evaluate("() => document.body.innerText"))
    return data


def header(data: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in data["headers"] if k == name), None)


async def sign_in(page: Any, login: str) -> None:
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", "any password")
    await page.click("button[type=submit]")
    await page.click("button:has-text('Continue')")  # the consent prompt


async def test_code_flow_session_refresh_userinfo_introspection_and_rp_initiated_logout(
    setup: Setup, page: Any
) -> None:
    await setup.protect(
        "/app",
        redirect_uri=[setup.origin + "/app/callback"],
        scopes=["openid", "email", "groups"],
        logout_uri_suffix="/logout",
        logout_methods=["GET"],
        upstream_headers_claims=["email", "groups"],
        upstream_headers_names=["X-Email", "X-Groups"],
        upstream_id_token_header="X-Id-Token",
        search_user_info=True,  # this provider keeps scope claims out of the ID token
    )
    await setup.protect("/userinfo-api", auth_methods=["userinfo"], upstream_user_info_header="X-Userinfo")
    await setup.protect("/bearer-api", auth_methods=["bearer"])
    await setup.protect("/introspected-api", auth_methods=["introspection"], upstream_introspection_header="X-Intro")

    authorize_requests: list[str] = []
    page.on("request", lambda r: authorize_requests.append(r.url) if urlsplit(r.url).path == "/auth" else None)

    await page.goto(setup.origin + "/app/page?x=1")
    assert page.url.startswith(setup.issuer + "/interaction/")  # the provider's own login page
    sent = parse_qs(urlsplit(authorize_requests[0]).query)
    assert sent["code_challenge_method"] == ["S256"] and sent["state"][0] and sent["nonce"][0]
    await sign_in(page, "alice")
    await page.wait_for_url(setup.origin + "/app/page")  # back on the page that started the login
    first = json.loads(await page.evaluate("() => document.body.innerText"))
    assert first["path"] == "/app/page"
    assert header(first, "x-email") == "alice@example.test"
    assert header(first, "x-groups") == '["staff"]'
    assert header(first, "x-id-token") is not None
    access_token = (header(first, "authorization") or "").removeprefix("Bearer ")
    assert access_token and access_token.count(".") != 2  # an opaque token from this provider
    cookies = {c["name"]: c for c in await page.context.cookies(setup.origin)}
    assert cookies["session"]["httpOnly"] and "authorization" not in cookies

    # the opaque access token works at the userinfo and introspection methods
    userinfo = await setup.gw.client.get("/userinfo-api", headers={"Authorization": f"Bearer {access_token}"})
    assert setup.gw.echoed(userinfo).header("x-userinfo") is not None
    introspected = await setup.gw.client.get("/introspected-api", headers={"Authorization": f"Bearer {access_token}"})
    assert setup.gw.echoed(introspected).header("x-intro") is not None
    refused = await setup.gw.client.get("/introspected-api", headers={"Authorization": "Bearer not-a-real-token"})
    assert refused.status_code == 401
    # an ID token is not an access token
    id_token = header(first, "x-id-token") or ""
    as_bearer = await setup.gw.client.get("/bearer-api", headers={"Authorization": f"Bearer {id_token}"})
    assert as_bearer.status_code == 401

    # the access token expires: the session refreshes it transparently
    await asyncio.sleep(ACCESS_TOKEN_TTL + 0.5)
    second = await echoed(page, setup.origin + "/app/other")
    refreshed = (header(second, "authorization") or "").removeprefix("Bearer ")
    assert refreshed and refreshed != access_token
    assert header(second, "x-email") == "alice@example.test"

    # RP-initiated logout: local session gone, then the provider's end_session_endpoint with id_token_hint
    end_session: list[str] = []
    page.on("request", lambda r: end_session.append(r.url) if "/session/end" in r.url else None)
    await page.goto(setup.origin + "/app/logout")
    assert end_session and "id_token_hint=" in end_session[0] and f"client_id={CLIENT_ID}" in end_session[0]
    await page.click("button[name=logout]")  # the provider asks for confirmation
    await page.wait_for_load_state()
    assert "session" not in {c["name"] for c in await page.context.cookies(setup.origin)}
    # signed out at the provider too: the next visit shows its login form again
    await page.goto(setup.origin + "/app/page")
    assert page.url.startswith(setup.issuer + "/interaction/")
    assert await page.locator("input[name=login]").count() == 1
