"""Token-endpoint client authentication and error mapping against a real endpoint on loopback."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sekisho.oidc.client import OAuthClient, authorization_url
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
