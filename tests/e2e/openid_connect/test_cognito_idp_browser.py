"""The seed's Cognito setup end to end, on the local Cognito-compatible IdP (`sekisho idp`): a real headless
Chromium asks for a protected page, signs in on the hosted UI, comes back through the callback, the upstream
sees the identity (consumer by email, Cognito claims as headers, the access token), the session's access token
works as a bearer token pinned with Cognito's `client_id` claim, and logout goes through Cognito's own
`/logout?client_id=…&logout_uri=…` URL back to the configured page — after which the hosted UI asks again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from tests.integration.idp.flows import PASSWORD, SEED_SCHEMA
from tests.integration.idp.harness import IdpThread, cognito_client, idp_thread
from tests.integration.plugins.support import PLUGINS, Gateway, running_gateway

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EMAIL = "dana@example.com"


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[IdpThread]:
    with idp_thread(tmp_path / "idp") as running:
        yield running


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[Gateway]:
    async with running_gateway(tmp_path, plugin_names=(*PLUGINS, "openid-connect")) as gateway:
        yield gateway


def cognito_setup(idp: IdpThread, origin: str) -> dict[str, str]:
    """What the seed does in the AWS console: pool, public app client, domain, a group and a confirmed user."""
    cognito = cognito_client(idp.url)
    pool_id = cognito.create_user_pool(
        PoolName="kong-pool", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"], Schema=SEED_SCHEMA
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="kong-api",
        CallbackURLs=[origin + "/cognito/callback"],
        LogoutURLs=[origin + "/signed-out"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "profile", "email"],
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]["ClientId"]
    cognito.create_user_pool_domain(Domain="kong-demo", UserPoolId=pool_id)
    cognito.create_group(GroupName="admins", UserPoolId=pool_id)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=EMAIL,
        UserAttributes=[{"Name": "email", "Value": EMAIL}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=EMAIL, Password=PASSWORD, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=EMAIL, GroupName="admins")
    return {"pool_id": pool_id, "client_id": client_id, "hosted": idp.domain_url("kong-demo")}


def shown(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data


def header(data: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in data["headers"] if k == name), None)


async def test_hosted_ui_login_identity_headers_and_cognito_logout(idp: IdpThread, gw: Gateway, page: Any) -> None:
    origin = f"http://127.0.0.1:{gw.client.base_url.port}"
    cognito = await asyncio.to_thread(cognito_setup, idp, origin)
    client_id, hosted = cognito["client_id"], cognito["hosted"]
    signed_out = origin + "/signed-out"
    await gw.consumer(EMAIL)
    await gw.route("/signed-out")  # the public landing page after logout
    route = await gw.route("/cognito")
    seed_like = {
        "issuer": f"{idp.url}/{cognito['pool_id']}/.well-known/openid-configuration",
        "client_id": [client_id],
        "redirect_uri": [origin + "/cognito/callback"],
        "scopes": ["openid", "profile", "email"],
        "leeway": 100,
        "ssl_verify": False,
        "consumer_claim": ["email"],
        "consumer_by": ["username", "custom_id", "id"],
        "logout_query_arg": "logout",
        "logout_methods": ["GET"],
        "logout_redirect_uri": [f"{hosted}/logout?" + urlencode({"client_id": client_id, "logout_uri": signed_out})],
        "upstream_headers_claims": ["email", "cognito:groups"],
        "upstream_headers_names": ["X-Email", "X-Groups"],
    }
    await gw.plugin("openid-connect", seed_like, route={"id": route["id"]})
    api = await gw.route("/cognito-api")
    await gw.plugin(
        "openid-connect",
        {
            "issuer": seed_like["issuer"],
            "auth_methods": ["bearer"],
            "audience_claim": ["client_id"],
            "audience_required": [client_id],
            "groups_claim": ["cognito:groups"],
            "groups_required": ["admins"],
        },
        route={"id": api["id"]},
    )

    await page.goto(origin + "/cognito/anything")
    assert page.url.startswith(hosted + "/login?")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(origin + "/cognito/anything")
    seen = shown(await page.evaluate("() => document.body.innerText"))
    assert header(seen, "x-consumer-username") == EMAIL
    assert header(seen, "x-email") == EMAIL and header(seen, "x-groups") == '["admins"]'
    access_token = (header(seen, "authorization") or "").removeprefix("Bearer ")
    assert access_token.count(".") == 2

    # the Cognito access token (no aud; client_id + token_use) on an API route
    echoed = gw.echoed(await gw.client.get("/cognito-api", headers={"Authorization": f"Bearer {access_token}"}))
    assert echoed.header("authorization") == f"Bearer {access_token}"

    # logout: our session ends, Cognito's /logout ends the hosted session and lands on the configured page
    await page.goto(origin + "/cognito/anything?logout")
    await page.wait_for_url(signed_out)
    assert "session" not in {c["name"] for c in await page.context.cookies(origin)}
    await page.goto(origin + "/cognito/anything")
    assert page.url.startswith(hosted + "/login?")
    assert await page.get_by_role("button", name="Sign in").is_visible()
