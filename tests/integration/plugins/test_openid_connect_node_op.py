"""`openid-connect` bearer methods against panva's oidc-provider, an independent certified provider started
with Node for each test: discovery from the full discovery URL, RFC 9068 JWT access tokens verified locally
(audience, scopes), ID tokens refused as bearer tokens, and opaque tokens by introspection with a
confidential client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import RSAKey

from sekisho.oidc.client import OAuthClient, client_assertion_key
from sekisho.oidc.errors import TokenError
from sekisho.oidc.http import OutboundHttp
from tests.helpers.node_op_runner import run_node_op
from tests.integration.plugins.support import PLUGINS, Gateway, running_gateway

pytestmark = pytest.mark.slow

API_CLIENT = ("api-client", "api-client-secret-0123456789")
SERVICE_CLIENT = ("service", "service-secret-0123456789abcdef")


@dataclass
class Setup:
    gw: Gateway
    issuer: str

    async def protect(self, path: str, **config: Any) -> None:
        route = await self.gw.route(path)
        conf = {"issuer": self.issuer + "/.well-known/openid-configuration", **config}
        await self.gw.plugin("openid-connect", conf, route={"id": route["id"]})

    async def client_credentials(self, client: tuple[str, str], scope: str = "openid email") -> str:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                self.issuer + "/token", data={"grant_type": "client_credentials", "scope": scope}, auth=client
            )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def _client(client_id: str, secret: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "client_secret": secret,
        "grant_types": ["client_credentials"],
        "response_types": [],
        "redirect_uris": [],
    }


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    async with (
        running_gateway(tmp_path, plugin_names=(*PLUGINS, "openid-connect")) as gw,
        run_node_op([_client(*API_CLIENT), _client(*SERVICE_CLIENT)]) as issuer,
    ):
        yield Setup(gw, issuer)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_jwt_access_tokens_are_verified_locally_with_audience_and_scopes(setup: Setup) -> None:
    await setup.protect("/api", auth_methods=["bearer"], audience_required=["urn:sekisho:api"])
    await setup.protect("/admin", auth_methods=["bearer"], scopes_required=["admin"])
    await setup.protect("/elsewhere", auth_methods=["bearer"], audience_required=["urn:another:api"])
    token = await setup.client_credentials(API_CLIENT)
    assert token.count(".") == 2
    echoed = setup.gw.echoed(await setup.gw.client.get("/api", headers=bearer(token)))
    assert echoed.header("authorization") == f"Bearer {token}"
    assert (await setup.gw.client.get("/admin", headers=bearer(token))).status_code == 403
    assert (await setup.gw.client.get("/elsewhere", headers=bearer(token))).status_code == 403
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    assert (await setup.gw.client.get("/api", headers=bearer(tampered))).status_code == 401
    assert (await setup.gw.client.get("/api")).status_code == 401


async def test_opaque_tokens_by_introspection_with_a_confidential_client(setup: Setup) -> None:
    await setup.protect(
        "/api",
        auth_methods=["introspection"],
        client_id=[SERVICE_CLIENT[0]],
        client_secret=[SERVICE_CLIENT[1]],
        client_auth=["client_secret_basic"],
        upstream_introspection_header="X-Introspection",
        credential_claim=["client_id"],  # client-credentials tokens have no sub
    )
    token = await setup.client_credentials(SERVICE_CLIENT)
    assert token.count(".") != 2
    echoed = setup.gw.echoed(await setup.gw.client.get("/api", headers=bearer(token)))
    assert echoed.header("x-introspection") is not None
    assert echoed.header("x-credential-identifier") == SERVICE_CLIENT[0]
    assert (await setup.gw.client.get("/api", headers=bearer(token + "x"))).status_code == 401


SECRET_JWT_CLIENT = ("jwt-secret", "jwt-secret-client-secret-0123456789abcdef")


async def test_jwt_client_authentication_is_accepted_by_the_provider(tmp_path: Path) -> None:
    # oidc-provider verifies client_secret_jwt and private_key_jwt assertions itself: ours must pass, at the
    # token endpoint (the oidc library) and at introspection (the plugin).
    key = RSAKey.generate_key(2048, {"kid": "sekisho-client-1"})
    clients = [
        {**_client(*SECRET_JWT_CLIENT), "token_endpoint_auth_method": "client_secret_jwt"},
        {
            "client_id": "jwt-key",
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "PS256",
            "jwks": {"keys": [key.as_dict(private=False)]},
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
        },
    ]
    async with (
        running_gateway(tmp_path, plugin_names=(*PLUGINS, "openid-connect")) as gw,
        run_node_op(clients) as issuer,
    ):
        setup = Setup(gw, issuer)
        http = OutboundHttp(timeout=5)
        try:
            by_secret = OAuthClient(
                http, client_id=SECRET_JWT_CLIENT[0], client_secret=SECRET_JWT_CLIENT[1], auth="client_secret_jwt"
            )
            by_key = OAuthClient(
                http,
                client_id="jwt-key",
                client_secret=None,
                auth="private_key_jwt",
                assertion_key=client_assertion_key(key.as_dict(private=True), "PS256"),
            )
            grant = {"grant_type": "client_credentials", "scope": "openid"}
            tokens = [(await client.token(issuer + "/token", grant)).access_token for client in (by_secret, by_key)]
            wrong = OAuthClient(
                http,
                client_id=SECRET_JWT_CLIENT[0],
                client_secret="not-the-secret-0123456789abcdef",
                auth="client_secret_jwt",
            )
            with pytest.raises(TokenError):
                await wrong.token(issuer + "/token", grant)
        finally:
            await http.close()
        await setup.protect(
            "/by-secret",
            auth_methods=["introspection"],
            client_id=[SECRET_JWT_CLIENT[0]],
            client_secret=[SECRET_JWT_CLIENT[1]],
            # the provider accepts only the registered method: basic here would be refused at introspection
            client_auth=["client_secret_basic"],
            introspection_endpoint_auth_method="client_secret_jwt",
            credential_claim=["client_id"],
        )
        await setup.protect(
            "/by-key",
            auth_methods=["introspection"],
            client_id=["jwt-key"],
            client_auth=["private_key_jwt"],
            client_jwk=[key.as_dict(private=True)],
            client_alg=["PS256"],
            credential_claim=["client_id"],
        )
        for path in ("/by-secret", "/by-key"):
            for token, owner in zip(tokens, (SECRET_JWT_CLIENT[0], "jwt-key"), strict=True):
                echoed = gw.echoed(await gw.client.get(path, headers=bearer(token)))
                assert echoed.header("x-credential-identifier") == owner
            assert (await gw.client.get(path, headers=bearer(tokens[0] + "x"))).status_code == 401


async def test_the_provider_going_away_fails_closed(tmp_path: Path) -> None:
    async with running_gateway(tmp_path, plugin_names=(*PLUGINS, "openid-connect")) as gw:
        async with run_node_op([_client(*API_CLIENT)]) as issuer:
            setup = Setup(gw, issuer)
            await setup.protect("/api", auth_methods=["bearer"], timeout=1000)
            await setup.protect("/cold", auth_methods=["bearer"], issuer=issuer, timeout=1000)
            token = await setup.client_credentials(API_CLIENT)
            assert (await gw.client.get("/api", headers=bearer(token))).status_code == 200
        # provider stopped: keys already known keep verifying, a route that never saw the provider fails closed
        assert (await gw.client.get("/api", headers=bearer(token))).status_code == 200
        assert (await gw.client.get("/api", headers=bearer(token[:-4] + "AAAA"))).status_code == 401
        cold = await gw.client.get("/cold", headers=bearer(token))
        assert cold.status_code == 500
