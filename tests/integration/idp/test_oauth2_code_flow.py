"""The authorization-code flow with PKCE through the hosted UI, and the tokens' Cognito shapes."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import jwt

from tests.integration.idp.flows import (
    CALLBACK,
    SIGNOUT,
    Seeded,
    exchange_code,
    login_for_code,
    pkce_pair,
    query_of,
    seed_pool,
)
from tests.integration.idp.harness import IdpThread


def verify(token: str, idp: IdpThread, seeded: Seeded, **options: Any) -> dict[str, Any]:
    issuer = f"{idp.url}/{seeded.pool_id}"
    jwks = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token)
    return dict(jwt.decode(token, key.key, algorithms=["RS256"], issuer=issuer, **options))


def test_discovery_document_has_cognitos_key_set(idp: IdpThread, seeded: Seeded) -> None:
    document = httpx.get(f"{idp.url}/{seeded.pool_id}/.well-known/openid-configuration").json()
    assert sorted(document) == [
        "authorization_endpoint",
        "end_session_endpoint",
        "id_token_signing_alg_values_supported",
        "issuer",
        "jwks_uri",
        "response_types_supported",
        "revocation_endpoint",
        "scopes_supported",
        "subject_types_supported",
        "token_endpoint",
        "token_endpoint_auth_methods_supported",
        "userinfo_endpoint",
    ]
    assert document["issuer"] == f"{idp.url}/{seeded.pool_id}"
    assert document["authorization_endpoint"] == f"{seeded.domain_url}/oauth2/authorize"
    assert document["userinfo_endpoint"] == f"{seeded.domain_url}/oauth2/userInfo"
    jwks = httpx.get(document["jwks_uri"]).json()["keys"]
    assert len(jwks) == 2
    assert all(sorted(k) == ["alg", "e", "kid", "kty", "n", "use"] and len(k["kid"]) == 44 for k in jwks)


def test_code_flow_with_pkce_yields_cognito_shaped_tokens(idp: IdpThread, seeded: Seeded, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    response = login_for_code(http, seeded, challenge=challenge, state="opaque-state", nonce="nonce-42")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?")
    params = query_of(location)
    assert params["state"] == "opaque-state"
    tokens = exchange_code(http, seeded, params["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert sorted(body) == ["access_token", "expires_in", "id_token", "refresh_token", "token_type"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["refresh_token"].count(".") == 4
    id_claims = verify(body["id_token"], idp, seeded, audience=seeded.client_id)
    access_claims = verify(body["access_token"], idp, seeded, options={"verify_aud": True})
    assert id_claims["token_use"] == "id"
    assert id_claims["aud"] == seeded.client_id
    assert id_claims["cognito:username"] == seeded.sub  # email is the username: the stored username is the sub
    assert id_claims["nonce"] == "nonce-42"
    assert id_claims["email"] == "alice@example.com" and id_claims["email_verified"] is True
    assert id_claims["given_name"] == "Alice"
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert id_claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert "aud" not in access_claims
    assert access_claims["client_id"] == seeded.client_id
    assert access_claims["token_use"] == "access"
    assert access_claims["scope"] == "openid email profile"
    assert access_claims["username"] == seeded.sub
    assert access_claims["version"] == 2
    headers = [jwt.get_unverified_header(body[name]) for name in ("id_token", "access_token")]
    assert all(sorted(h) == ["alg", "kid"] for h in headers)
    assert headers[0]["kid"] != headers[1]["kid"]


def test_code_is_single_use_and_bound_to_verifier(seeded: Seeded, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code = query_of(login_for_code(http, seeded, challenge=challenge).headers["location"])["code"]
    wrong = exchange_code(http, seeded, code, "x" * 50)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    # The failed attempt consumed the code.
    again = exchange_code(http, seeded, code, verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    code = query_of(login_for_code(http, seeded, challenge=challenge).headers["location"])["code"]
    missing = exchange_code(http, seeded, code, None)
    assert missing.json()["error"] == "invalid_request"


def test_hosted_session_skips_login_until_logout(seeded: Seeded, http: httpx.Client) -> None:
    first = login_for_code(http, seeded)
    assert first.headers["location"].startswith(CALLBACK)
    params = {"response_type": "code", "client_id": seeded.client_id, "redirect_uri": CALLBACK, "state": "s2"}
    second = http.get(f"{seeded.domain_url}/oauth2/authorize", params=params)
    assert second.headers["location"].startswith(CALLBACK + "?code=")
    out = http.get(f"{seeded.domain_url}/logout", params={"client_id": seeded.client_id, "logout_uri": SIGNOUT})
    assert (out.status_code, out.headers["location"]) == (302, SIGNOUT)
    third = http.get(f"{seeded.domain_url}/oauth2/authorize", params=params)
    assert "/login?" in third.headers["location"]


def test_refresh_userinfo_and_revoke(idp: IdpThread, seeded: Seeded, http: httpx.Client) -> None:
    code = query_of(login_for_code(http, seeded).headers["location"])["code"]
    body = exchange_code(http, seeded, code, None).json()
    token_url = f"{seeded.domain_url}/oauth2/token"
    refreshed = http.post(
        token_url,
        data={"grant_type": "refresh_token", "client_id": seeded.client_id, "refresh_token": body["refresh_token"]},
    )
    assert refreshed.status_code == 200
    assert sorted(refreshed.json()) == ["access_token", "expires_in", "id_token", "token_type"]
    info = http.get(f"{seeded.domain_url}/oauth2/userInfo", headers={"authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    assert info.json() == {
        "sub": seeded.sub,
        "email_verified": "true",
        "given_name": "Alice",
        "family_name": "Liddell",
        "email": "alice@example.com",
        "username": seeded.sub,
    }
    revoked = http.post(
        f"{seeded.domain_url}/oauth2/revoke", data={"token": body["refresh_token"], "client_id": seeded.client_id}
    )
    assert revoked.status_code == 200
    again = http.post(
        token_url,
        data={"grant_type": "refresh_token", "client_id": seeded.client_id, "refresh_token": body["refresh_token"]},
    )
    assert again.json()["error"] == "invalid_grant"
    after = http.get(
        f"{seeded.domain_url}/oauth2/userInfo", headers={"authorization": f"Bearer {body['access_token']}"}
    )
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["www-authenticate"]
    unsupported = http.post(
        f"{seeded.domain_url}/oauth2/revoke", data={"token": body["access_token"], "client_id": seeded.client_id}
    )
    assert unsupported.json()["error"] == "unsupported_token_type"


def test_lifetimes_and_read_permissions_shape_the_tokens(idp: IdpThread, cognito: Any) -> None:
    seeded = seed_pool(
        idp,
        cognito,
        AccessTokenValidity=30,
        IdTokenValidity=2,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours"},
        ReadAttributes=["email", "email_verified"],
    )
    with httpx.Client(follow_redirects=False) as http:
        code = query_of(login_for_code(http, seeded, scope="openid email profile").headers["location"])["code"]
        body = exchange_code(http, seeded, code, None).json()
    assert body["expires_in"] == 1800
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    identity = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] == 1800
    assert identity["exp"] - identity["iat"] == 7200
    assert identity["email"] == seeded.username
    assert "given_name" not in identity and "family_name" not in identity


def test_email_scope_without_read_on_email_verified_is_invalid_grant(idp: IdpThread, cognito: Any) -> None:
    seeded = seed_pool(idp, cognito, ReadAttributes=["email", "given_name"])
    with httpx.Client(follow_redirects=False) as http:
        code = query_of(login_for_code(http, seeded, scope="openid email").headers["location"])["code"]
        response = exchange_code(http, seeded, code, None)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
