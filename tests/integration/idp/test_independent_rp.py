"""An independent relying party (authlib's OAuth 2 client): discovery, code + PKCE, userinfo, refresh."""

from __future__ import annotations

import re
import secrets
import warnings
from typing import Any

import httpx
import jwt
from authlib.common.security import generate_token

from tests.integration.idp.flows import CALLBACK, PASSWORD, csrf_of, seed_pool
from tests.integration.idp.harness import IdpThread

with warnings.catch_warnings(record=True):
    # authlib announces an httpx2 move at import; the client below is what it still ships and documents.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client


def test_authlib_client_completes_discovery_code_pkce_userinfo_refresh(idp: IdpThread, cognito: Any) -> None:
    seeded = seed_pool(idp, cognito)
    issuer = f"{idp.url}/{seeded.pool_id}"
    metadata = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert metadata["issuer"] == issuer
    verifier = generate_token(64)
    nonce = secrets.token_urlsafe(16)
    with OAuth2Client(
        client_id=seeded.client_id,
        redirect_uri=CALLBACK,
        scope="openid email profile",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as rp:
        url, state = rp.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        callback = _sign_in_like_a_browser(url, seeded.username)
        token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
        assert {"access_token", "id_token", "refresh_token"} <= set(token)
        signing_key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(token["id_token"])
        claims = jwt.decode(
            token["id_token"], signing_key.key, algorithms=["RS256"], audience=seeded.client_id, issuer=issuer
        )
        assert claims["nonce"] == nonce
        userinfo = rp.get(metadata["userinfo_endpoint"]).json()
        assert userinfo["sub"] == claims["sub"] == seeded.sub
        assert userinfo["email"] == seeded.username
        original_refresh = token["refresh_token"]
        refreshed = rp.refresh_token(metadata["token_endpoint"], refresh_token=original_refresh)
        assert refreshed["access_token"] != token["access_token"]
        # Cognito returns no new refresh token; the client keeps the old one.
        assert refreshed.get("refresh_token", original_refresh) == original_refresh
        assert rp.get(metadata["userinfo_endpoint"]).status_code == 200
    assert state


def _sign_in_like_a_browser(authorize_url: str, username: str) -> str:
    with httpx.Client(follow_redirects=False) as browser:
        login = browser.get(authorize_url)
        page = browser.get(login.headers["location"])
        submitted = browser.post(
            login.headers["location"],
            data={"_csrf": csrf_of(page.text), "username": username, "password": PASSWORD},
        )
        location = submitted.headers["location"]
        assert re.match(re.escape(CALLBACK) + r"\?code=", location)
        return str(location)
