"""A real headless Chromium through the hosted UI: sign up, confirm with the emailed code, land on the callback,
exchange the code with PKCE, verify the tokens against the JWKS, refresh, log out."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from tests.integration.idp.flows import PASSWORD, SCOPES, SEED_SCHEMA, pkce_pair, query_of
from tests.integration.idp.harness import IdpThread, cognito_client

pytestmark = pytest.mark.e2e


class _Callback(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>app</title><h1>app</h1>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def app_url() -> Iterator[str]:
    """The relying party's own (tiny, real) web server, where the browser lands after sign-in and sign-out."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_sign_up_confirm_login_tokens_refresh_logout(idp: IdpThread, browser: Any, app_url: str) -> None:
    cognito = cognito_client(idp.url)
    pool_id = cognito.create_user_pool(
        PoolName="kong-pool", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"], Schema=SEED_SCHEMA
    )["UserPool"]["Id"]
    callback, signed_out = f"{app_url}/callback", f"{app_url}/signed-out"
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="kong-api",
        CallbackURLs=[callback],
        LogoutURLs=[signed_out],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=SCOPES,
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]["ClientId"]
    cognito.create_user_pool_domain(Domain="kong-demo", UserPoolId=pool_id)
    port = idp.url.rsplit(":", 1)[1]
    hosted = f"http://kong-demo.auth.localhost:{port}"  # Chromium resolves *.localhost to loopback by itself
    verifier, challenge = pkce_pair()
    authorize = f"{hosted}/oauth2/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback,
            "scope": "openid email profile",
            "state": "browser-state",
            "nonce": "browser-nonce",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    page = browser.new_page()
    page.goto(authorize)
    assert "/login?" in page.url
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("carol@example.com")
    page.get_by_label("Given name").fill("Carol")
    page.get_by_label("Family name").fill("Danvers")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/confirm?**")
    outbox = httpx.get(f"{idp.url}/_outbox", params={"format": "json", "to": "carol@example.com"}).json()
    code = outbox["messages"][-1]["code"]
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Confirm account").click()
    page.wait_for_url(f"{callback}?**")
    params = query_of(page.url)
    assert params["state"] == "browser-state"

    token_url = f"{idp.domain_url('kong-demo')}/oauth2/token"
    tokens = httpx.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": params["code"],
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
    ).json()
    issuer = f"{idp.url}/{pool_id}"
    keys = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json")
    id_claims = jwt.decode(
        tokens["id_token"],
        keys.get_signing_key_from_jwt(tokens["id_token"]).key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=issuer,
    )
    assert id_claims["email"] == "carol@example.com" and id_claims["email_verified"] is True
    assert id_claims["nonce"] == "browser-nonce" and id_claims["given_name"] == "Carol"
    access_claims = jwt.decode(
        tokens["access_token"],
        keys.get_signing_key_from_jwt(tokens["access_token"]).key,
        algorithms=["RS256"],
        issuer=issuer,
    )
    assert access_claims["client_id"] == client_id and access_claims["token_use"] == "access"
    refreshed = httpx.post(
        token_url,
        data={"grant_type": "refresh_token", "client_id": client_id, "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200 and "refresh_token" not in refreshed.json()

    # The hosted session lets a second authorize through without the form ...
    page.goto(authorize.replace("browser-state", "second"))
    page.wait_for_url(f"{callback}?**")
    assert query_of(page.url)["state"] == "second"
    # ... until /logout, which lands on the registered sign-out URL and ends the session.
    page.goto(f"{hosted}/logout?" + urlencode({"client_id": client_id, "logout_uri": signed_out}))
    page.wait_for_url(signed_out)
    page.goto(authorize)
    assert "/login?" in page.url
    assert page.get_by_role("button", name="Sign in").is_visible()
    page.get_by_label("Email").fill("carol@example.com")
    page.get_by_label("Password").fill("Wrong-Passw0rd!")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Incorrect username or password."
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{callback}?**")
