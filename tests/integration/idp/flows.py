"""Helpers for driving the hosted UI and the OAuth2 endpoints with httpx (no browser)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.integration.idp.harness import IdpThread

PASSWORD = "Sekisho-Passw0rd!"
SEED_SCHEMA = [
    {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {"Name": "given_name", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {"Name": "family_name", "AttributeDataType": "String", "Required": True, "Mutable": True},
]
CALLBACK = "http://localhost:8000/callback"
SIGNOUT = "http://localhost:8000/signed-out"
SCOPES = ["email", "openid", "aws.cognito.signin.user.admin", "profile"]


@dataclass
class Seeded:
    pool_id: str
    client_id: str
    domain: str
    domain_url: str
    username: str  # the email used to sign in
    sub: str


def seed_pool(idp: IdpThread, cognito: Any, *, domain: str = "kong-demo", **client_overrides: Any) -> Seeded:
    """The seed page's setup: email sign-in, required names, public `kong-api` client, a domain, one user."""
    pool_id = cognito.create_user_pool(
        PoolName="kong-pool",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Schema=SEED_SCHEMA,
        UsernameConfiguration={"CaseSensitive": False},
    )["UserPool"]["Id"]
    client_settings: dict[str, Any] = {
        "UserPoolId": pool_id,
        "ClientName": "kong-api",
        "CallbackURLs": [CALLBACK],
        "LogoutURLs": [SIGNOUT],
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": SCOPES,
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    }
    client_settings.update(client_overrides)
    client_id = cognito.create_user_pool_client(**client_settings)["UserPoolClient"]["ClientId"]
    cognito.create_user_pool_domain(Domain=domain, UserPoolId=pool_id)
    email = "alice@example.com"
    user = cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "given_name", "Value": "Alice"},
            {"Name": "family_name", "Value": "Liddell"},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )["User"]
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    return Seeded(pool_id, client_id, domain, idp.domain_url(domain), email, sub)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def login_for_code(
    http: httpx.Client,
    seeded: Seeded,
    *,
    challenge: str | None = None,
    state: str = "st-1",
    nonce: str = "n-1",
    scope: str = "openid email profile",
    password: str = PASSWORD,
) -> httpx.Response:
    """authorize -> /login -> POST credentials; returns the last response (302 to the callback on success)."""
    params = {
        "response_type": "code",
        "client_id": seeded.client_id,
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": state,
        "nonce": nonce,
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    response = http.get(f"{seeded.domain_url}/oauth2/authorize", params=params)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    if location.startswith(CALLBACK):
        return response
    page = http.get(location)
    assert page.status_code == 200, page.text
    return http.post(location, data={"_csrf": csrf_of(page.text), "username": seeded.username, "password": password})


def exchange_code(http: httpx.Client, seeded: Seeded, code: str, verifier: str | None) -> httpx.Response:
    data = {"grant_type": "authorization_code", "client_id": seeded.client_id, "code": code, "redirect_uri": CALLBACK}
    if verifier:
        data["code_verifier"] = verifier
    return http.post(f"{seeded.domain_url}/oauth2/token", data=data)
