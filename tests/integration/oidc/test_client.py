"""Token-endpoint client authentication and error mapping against a real endpoint on loopback."""

from __future__ import annotations

import base64
import json
import time
import warnings
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sekisho.oidc.client import OAuthClient, authorization_url, client_assertion_key
from sekisho.oidc.errors import ProviderError, TokenError
from sekisho.oidc.http import OutboundHttp
from tests.helpers.asgi_server import serve_asgi

seen: list[dict[str, Any]] = []


async def token(request: Request) -> JSONResponse:
    form = dict(await request.form())
    seen.append({"form": form, "authorization": request.headers.get("authorization")})
    if form.get("code") == "bad":
        return JSONResponse({"error": "invalid_grant"}, status_code=400)
    if form.get("code") == "boom":
        return JSONResponse({"error": "server_error"}, status_code=503)
    return JSONResponse({"access_token": "at", "token_type": "Bearer", "expires_in": "3600", "id_token": "it"})


APP = Starlette(routes=[Route("/token", token, methods=["POST"])])


@pytest.mark.parametrize(
    ("auth", "secret", "expect_header", "expect_form"),
    [
        ("none", None, None, {"client_id": "cid"}),
        ("client_secret_post", "s3cret", None, {"client_id": "cid", "client_secret": "s3cret"}),
        ("client_secret_basic", "s3:cret", "Basic " + base64.b64encode(b"cid:s3%3Acret").decode(), {}),
    ],
)
async def test_client_authentication_methods(
    auth: str, secret: str | None, expect_header: str | None, expect_form: dict[str, str]
) -> None:
    http = OutboundHttp(timeout=2)
    try:
        async with serve_asgi(APP) as base:
            client = OAuthClient(http, client_id="cid", client_secret=secret, auth=auth)  # type: ignore[arg-type]
            seen.clear()
            tokens = await client.token(base + "/token", {"grant_type": "authorization_code", "code": "ok"})
            assert tokens.access_token == "at" and tokens.expires_in == 3600 and tokens.id_token == "it"
            assert seen[0]["authorization"] == expect_header
            form = seen[0]["form"]
            for key, value in expect_form.items():
                assert form[key] == value
            if auth == "client_secret_basic":
                assert "client_secret" not in form
            with pytest.raises(TokenError, match="invalid_grant"):
                await client.token(base + "/token", {"grant_type": "authorization_code", "code": "bad"})
            with pytest.raises(ProviderError, match="503"):
                await client.token(base + "/token", {"grant_type": "authorization_code", "code": "boom"})
    finally:
        await http.close()


def test_secretless_clients_cannot_claim_secret_auth() -> None:
    with pytest.raises(ValueError, match="needs a client secret"):
        OAuthClient(OutboundHttp(), client_id="cid", client_secret=None, auth="client_secret_basic")


def test_authorization_url_encodes_every_parameter() -> None:
    url = authorization_url("https://idp/authorize", {"redirect_uri": "https://gw/cb?x=1", "scope": "openid email"})
    assert url == "https://idp/authorize?redirect_uri=https%3A%2F%2Fgw%2Fcb%3Fx%3D1&scope=openid%20email"


def _verified_assertion(form: dict[str, Any], key: Any, alg: str) -> tuple[dict[str, Any], dict[str, Any]]:
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["client_id"] == "cid" and "client_secret" not in form
    verified = jws.deserialize_compact(form["client_assertion"], key, algorithms=[alg])
    return dict(verified.protected), json.loads(verified.payload)


@pytest.mark.parametrize("alg", ["HS256", "HS512"])
async def test_client_secret_jwt_sends_an_assertion_signed_with_the_secret(alg: str) -> None:
    http = OutboundHttp(timeout=2)
    try:
        async with serve_asgi(APP) as base:
            client = OAuthClient(
                http, client_id="cid", client_secret="s3cret-s3cret-s3cret", auth="client_secret_jwt", secret_alg=alg
            )
            seen.clear()
            for _ in range(2):
                await client.token(base + "/token", {"grant_type": "authorization_code", "code": "ok"})
            assert seen[0]["authorization"] is None
            header, claims = _verified_assertion(seen[0]["form"], OctKey.import_key(b"s3cret-s3cret-s3cret"), alg)
            assert header["alg"] == alg
            assert claims["iss"] == claims["sub"] == "cid" and claims["aud"] == base + "/token"
            assert claims["exp"] - claims["iat"] == 60 and abs(claims["iat"] - time.time()) < 5
            _, again = _verified_assertion(seen[1]["form"], OctKey.import_key(b"s3cret-s3cret-s3cret"), alg)
            assert again["jti"] != claims["jti"]  # one assertion per request
            with pytest.raises(JoseError):
                _verified_assertion(seen[0]["form"], OctKey.import_key(b"another-secret-value"), alg)
    finally:
        await http.close()


@pytest.mark.parametrize(
    ("make_key", "alg"),
    [
        (lambda: RSAKey.generate_key(2048, {"kid": "rsa-1"}), "RS256"),
        (lambda: RSAKey.generate_key(2048, {"kid": "rsa-2"}), "PS384"),
        (lambda: ECKey.generate_key("P-256", {"kid": "ec-1"}), "ES256"),
        (lambda: OKPKey.generate_key("Ed25519", {"kid": "ed-1"}), "EdDSA"),
    ],
)
async def test_private_key_jwt_sends_an_assertion_signed_with_the_clients_key(make_key: Any, alg: str) -> None:
    key = make_key()
    signer = client_assertion_key(key.as_dict(private=True), alg)
    http = OutboundHttp(timeout=2)
    try:
        async with serve_asgi(APP) as base:
            client = OAuthClient(
                http, client_id="cid", client_secret=None, auth="private_key_jwt", assertion_key=signer
            )
            seen.clear()
            await client.introspect(base + "/token", "some-token")
            public = type(key).import_key(key.as_dict(private=False))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SecurityWarning)  # joserfc on "EdDSA" (RFC 9864)
                header, claims = _verified_assertion(seen[0]["form"], public, alg)
            assert header["alg"] == alg and header["kid"] == key.kid
            assert claims["aud"] == base + "/token" and claims["iss"] == "cid"
    finally:
        await http.close()


def test_client_assertion_keys_must_be_private_and_fit_their_algorithm() -> None:
    rsa = RSAKey.generate_key(2048, {"alg": "PS256"})
    assert client_assertion_key(rsa.as_dict(private=True)).alg == "PS256"  # the key's own alg
    assert client_assertion_key(ECKey.generate_key("P-384").as_dict(private=True)).alg == "ES384"  # by its curve
    with pytest.raises(ValueError, match="no private part"):
        client_assertion_key(rsa.as_dict(private=False))
    with pytest.raises(ValueError, match="cannot sign"):
        client_assertion_key(rsa.as_dict(private=True), "ES256")
    with pytest.raises(ValueError, match="curve"):
        client_assertion_key(ECKey.generate_key("P-384").as_dict(private=True), "ES256")
    with pytest.raises(ValueError, match="RSA, EC or OKP"):
        client_assertion_key({"kty": "oct", "k": "c2VjcmV0"})
    with pytest.raises(ValueError, match="not a usable"):
        client_assertion_key({"kty": "RSA", "n": "nonsense"})
    with pytest.raises(ValueError, match="needs a private key"):
        OAuthClient(OutboundHttp(), client_id="cid", client_secret=None, auth="private_key_jwt")
    with pytest.raises(ValueError, match="needs a client secret"):
        OAuthClient(OutboundHttp(), client_id="cid", client_secret=None, auth="client_secret_jwt")
    with pytest.raises(ValueError, match="HS256"):
        OAuthClient(OutboundHttp(), client_id="cid", client_secret="s", auth="client_secret_jwt", secret_alg="RS256")


async def test_each_endpoint_may_use_its_own_client_authentication() -> None:
    http = OutboundHttp(timeout=2)
    try:
        async with serve_asgi(APP) as base:
            client = OAuthClient(
                http,
                client_id="cid",
                client_secret="s3cret-s3cret-s3cret",
                auth="client_secret_basic",
                endpoint_auth={"introspection": "client_secret_post", "revocation": "client_secret_jwt"},
            )
            seen.clear()
            await client.token(base + "/token", {"grant_type": "authorization_code", "code": "ok"})
            await client.introspect(base + "/token", "t")
            await client.revoke(base + "/token", "t", "access_token")
            token_call, introspection_call, revocation_call = seen
            assert str(token_call["authorization"]).startswith("Basic ") and "client_secret" not in token_call["form"]
            assert introspection_call["authorization"] is None
            assert introspection_call["form"]["client_secret"] == "s3cret-s3cret-s3cret"
            assert revocation_call["authorization"] is None and "client_assertion" in revocation_call["form"]
            assert client.auth_for("token") == "client_secret_basic"
    finally:
        await http.close()
