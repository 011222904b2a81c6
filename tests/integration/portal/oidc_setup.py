"""The seed page's Cognito setup on the local IdP, and the seed's `portal_auth_conf` mapped onto it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from sekisho.portal.seed_conf import seed_portal_auth_conf
from tests.integration.idp.flows import PASSWORD, SCOPES, SEED_SCHEMA
from tests.integration.idp.harness import IdpThread


@dataclass
class SeedPool:
    pool_id: str
    client_id: str
    domain_url: str
    issuer: str


def create_seed_pool(idp: IdpThread, cognito: Any, *, callbacks: list[str], logout_urls: list[str]) -> SeedPool:
    pool_id = cognito.create_user_pool(
        PoolName="test-pool",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Schema=SEED_SCHEMA,
        UsernameConfiguration={"CaseSensitive": False},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="kong-api",
        CallbackURLs=callbacks,
        LogoutURLs=logout_urls,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=SCOPES,
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.create_user_pool_domain(Domain="kongdemo", UserPoolId=pool_id)
    return SeedPool(pool_id, client_id, idp.domain_url("kongdemo"), f"{idp.url}/{pool_id}")


def add_user(cognito: Any, pool: SeedPool, email: str, password: str = PASSWORD) -> None:
    cognito.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "given_name", "Value": "Ada"},
            {"Name": "family_name", "Value": "Lovelace"},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=password, Permanent=True)


def seed_auth_conf(pool: SeedPool, *, api: str, gui: str) -> dict[str, Any]:
    """The seed page's JSON, key for key, with the local IdP's and portal's URLs."""
    return seed_portal_auth_conf(
        issuer=pool.issuer, client_id=pool.client_id, idp_domain_url=pool.domain_url, gui_url=gui, api_url=api
    )


def seed_auth_conf_text(pool: SeedPool, *, api: str, gui: str) -> str:
    return json.dumps(seed_auth_conf(pool, api=api, gui=gui), indent=4)


async def sign_in_at_hosted_ui(
    http: httpx.AsyncClient, authorize_url: str, email: str, password: str = PASSWORD
) -> str:
    """Follow the IdP's hosted UI from the authorization URL; returns the callback URL with `code`."""
    response = await http.get(authorize_url)
    assert response.status_code == 302, response.text
    login_url = response.headers["location"]
    page = await http.get(login_url)
    assert page.status_code == 200, page.text
    match = re.search(r'name="_csrf" value="([^"]+)"', page.text)
    assert match, "no CSRF field on the IdP login page"
    posted = await http.post(login_url, data={"_csrf": match.group(1), "username": email, "password": password})
    assert posted.status_code == 302, posted.text
    return str(posted.headers["location"])
