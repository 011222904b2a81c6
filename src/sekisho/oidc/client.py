"""Calls a relying party makes to its provider: token endpoint grants (RFC 6749), introspection
(RFC 7662), revocation (RFC 7009) and userinfo (OIDC Core §5.3), with the configured client authentication:
a secret in Basic auth or the form, a JWT assertion signed with the secret (`client_secret_jwt`) or with the
client's private key (`private_key_jwt`, RFC 7523 §2.2 and OIDC Core §9), or none (public clients)."""

from __future__ import annotations

import base64
import json
import secrets
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OctKey

from sekisho.oidc.client_auth import (
    ASSERTION_TYPE,
    ENDPOINTS,
    SECRET_ALGORITHMS,
    AssertionKey,
    ClientAuth,
    Endpoint,
    client_assertion_key,
)
from sekisho.oidc.errors import ProviderError, TokenError
from sekisho.oidc.http import HttpResponse, OutboundHttp

__all__ = [
    "ASSERTION_TYPE",
    "ENDPOINTS",
    "SECRET_ALGORITHMS",
    "ClientAuth",
    "Endpoint",
    "OAuthClient",
    "TokenResponse",
    "authorization_url",
    "client_assertion_key",
]

_ASSERTION_LIFETIME = 60  # seconds: the assertion is made for one request


@dataclass(frozen=True, slots=True)
class TokenResponse:
    access_token: str
    token_type: str
    expires_in: float | None
    id_token: str | None
    refresh_token: str | None
    scope: str | None
    raw: dict[str, Any]

    @classmethod
    def parse(cls, body: Any) -> TokenResponse:
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise TokenError("token endpoint returned no access token")
        expires = body.get("expires_in")
        if isinstance(expires, str) and expires.isdigit():
            expires = int(expires)
        return cls(
            access_token=body["access_token"],
            token_type=str(body.get("token_type", "Bearer")),
            expires_in=float(expires) if isinstance(expires, int | float) and not isinstance(expires, bool) else None,
            id_token=body.get("id_token") if isinstance(body.get("id_token"), str) else None,
            refresh_token=body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None,
            scope=body.get("scope") if isinstance(body.get("scope"), str) else None,
            raw=body,
        )


def authorization_url(endpoint: str, params: Mapping[str, str]) -> str:
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(params, quote_via=quote)


class OAuthClient:
    """One client registration (id, optional secret, auth method) talking to one provider."""

    def __init__(
        self,
        http: OutboundHttp,
        *,
        client_id: str,
        client_secret: str | None,
        auth: ClientAuth | None = None,
        endpoint_auth: Mapping[Endpoint, ClientAuth] | None = None,
        assertion_key: AssertionKey | None = None,
        secret_alg: str = "HS256",
    ) -> None:
        self._http = http
        self.client_id = client_id
        self._secret = client_secret
        self._assertion_key = assertion_key
        self._secret_alg = secret_alg
        self.auth: ClientAuth = auth or ("client_secret_basic" if client_secret else "none")
        self._endpoint_auth: dict[Endpoint, ClientAuth] = {endpoint: self.auth for endpoint in ENDPOINTS}
        self._endpoint_auth.update(endpoint_auth or {})
        for method in set(self._endpoint_auth.values()):
            if method == "private_key_jwt":
                if assertion_key is None:
                    raise ValueError("client_auth private_key_jwt needs a private key (client_jwk)")
            elif method != "none" and not client_secret:
                raise ValueError(f"client_auth {method} needs a client secret")
        if secret_alg not in SECRET_ALGORITHMS:
            raise ValueError(f"client_secret_jwt signs with {', '.join(SECRET_ALGORITHMS)}, not {secret_alg}")

    def auth_for(self, endpoint: Endpoint) -> ClientAuth:
        """The client authentication used at `endpoint` (`client_auth` unless overridden for it)."""
        return self._endpoint_auth[endpoint]

    def assertion(self, audience: str, method: ClientAuth = "client_secret_jwt") -> str:
        """A client assertion for one request to `audience` (the endpoint's URL): iss = sub = the client id,
        signed with the private key (`private_key_jwt`) or the secret (`client_secret_jwt`)."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(24),
            "iat": now,
            "exp": now + _ASSERTION_LIFETIME,
        }
        if method == "private_key_jwt":
            signer = self._assertion_key
            assert signer is not None
            header: dict[str, Any] = {"alg": signer.alg, "typ": "JWT"}
            if signer.kid:
                header["kid"] = signer.kid
            with warnings.catch_warnings():
                # joserfc flags "EdDSA" as superseded by "Ed25519" (RFC 9864); providers still expect "EdDSA".
                warnings.simplefilter("ignore", SecurityWarning)
                return jws.serialize_compact(header, _json(claims), signer.key, algorithms=[signer.alg])
        assert self._secret is not None
        secret = OctKey.import_key(self._secret.encode())
        alg = self._secret_alg
        return jws.serialize_compact({"alg": alg, "typ": "JWT"}, _json(claims), secret, algorithms=[alg])

    def _authenticate(self, form: dict[str, str], headers: dict[str, str], url: str, endpoint: Endpoint) -> None:
        method = self._endpoint_auth[endpoint]
        if method in ("client_secret_jwt", "private_key_jwt"):
            form["client_id"] = self.client_id
            form["client_assertion_type"] = ASSERTION_TYPE
            form["client_assertion"] = self.assertion(url, method)
        elif method == "client_secret_basic":
            assert self._secret is not None
            pair = f"{quote(self.client_id, safe='')}:{quote(self._secret, safe='')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        elif method == "client_secret_post":
            assert self._secret is not None
            form["client_id"] = self.client_id
            form["client_secret"] = self._secret
        else:
            form["client_id"] = self.client_id

    async def _post_form(
        self, endpoint: Endpoint, url: str, form: dict[str, str], extra_headers: Mapping[str, str] | None = None
    ) -> HttpResponse:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        headers.update(extra_headers or {})
        self._authenticate(form, headers, url, endpoint)
        return await self._http.request("POST", url, data=form, headers=headers)

    async def token(
        self, endpoint: str, grant: Mapping[str, str], extra_headers: Mapping[str, str] | None = None
    ) -> TokenResponse:
        """Any grant: `{"grant_type": "authorization_code", "code": ..., "redirect_uri": ..., ...}`."""
        response = await self._post_form("token", endpoint, dict(grant), extra_headers)
        if response.status in (400, 401):
            body = _safe_json(response)
            error = body.get("error") if isinstance(body, dict) else None
            raise TokenError(f"token endpoint refused the grant ({error or response.status})")
        if response.status != 200:
            raise ProviderError(f"token endpoint answered {response.status}")
        return TokenResponse.parse(response.json())

    async def introspect(self, endpoint: str, token: str, hint: str | None = "access_token") -> dict[str, Any]:
        form = {"token": token}
        if hint:
            form["token_type_hint"] = hint
        response = await self._post_form("introspection", endpoint, form)
        if response.status != 200:
            raise ProviderError(f"introspection endpoint answered {response.status}")
        body = response.json()
        if not isinstance(body, dict):
            raise ProviderError("introspection answer is not a JSON object")
        return body

    async def revoke(self, endpoint: str, token: str, hint: str) -> None:
        response = await self._post_form("revocation", endpoint, {"token": token, "token_type_hint": hint})
        if response.status != 200:
            raise ProviderError(f"revocation endpoint answered {response.status}")

    async def userinfo(self, endpoint: str, access_token: str) -> dict[str, Any]:
        response = await self._http.request(
            "GET", endpoint, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        )
        if response.status in (401, 403):
            raise TokenError("userinfo endpoint refused the token")
        if response.status != 200:
            raise ProviderError(f"userinfo endpoint answered {response.status}")
        body = response.json()
        if not isinstance(body, dict):
            raise ProviderError("userinfo answer is not a JSON object")
        return body


def _json(claims: Mapping[str, Any]) -> bytes:
    return json.dumps(claims, separators=(",", ":")).encode()


def _safe_json(response: HttpResponse) -> Any:
    try:
        return response.json()
    except ProviderError:
        return None
