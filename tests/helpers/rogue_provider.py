"""A small, deliberately misbehaving OpenID provider for relying-party tests.

It serves discovery and JWKS on a real socket, signs tokens with real keys, and can be told to rotate keys,
serve garbage, fail, or count how often it is asked — everything the adversarial tests need. It is also a
small authorization server that approves every login at once (`/authorize` redirects straight back with a
code), checks PKCE and client authentication at `/token`, and answers userinfo, introspection and
revocation, so browser flows can be driven with a plain HTTP client."""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class RogueProvider:
    base_url: str = "http://127.0.0.1:0"
    keys: list[RSAKey | ECKey] = field(default_factory=list)
    extra_jwks_entries: list[dict[str, Any]] = field(default_factory=list)
    jwks_mode: str = "ok"  # ok | garbage | error
    discovery_mode: str = "ok"
    jwks_requests: int = 0
    discovery_requests: int = 0
    discovery_extra: dict[str, Any] = field(default_factory=dict)
    client_id: str = "client-1"
    client_secret: str | None = None
    subject: str = "user-1"
    sid: str | None = None  # put in ID tokens when set (back-channel logout by session)
    extra_id_claims: dict[str, Any] = field(default_factory=dict)
    extra_access_claims: dict[str, Any] = field(default_factory=dict)
    token_lifetime: int = 300
    expires_in: int | None = None  # answer this `expires_in` instead of the tokens' real lifetime
    passwords: dict[str, str] = field(default_factory=dict)  # resource owners for the password grant
    tamper_id_token: dict[str, Any] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    issued_access_tokens: set[str] = field(default_factory=set)
    authorize_error: dict[str, str] = field(default_factory=dict)  # answer the login with these error params
    authorize_extra: dict[str, str] = field(default_factory=dict)  # e.g. {"iss": ...} (RFC 9207)
    userinfo_extra: dict[str, Any] = field(default_factory=dict)
    introspection_mode: str = "ok"  # ok | error | string-active | refresh-token
    introspection_requests: int = 0
    userinfo_requests: int = 0

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys.append(self.new_rsa_key())

    @property
    def issuer(self) -> str:
        return self.base_url + "/op"

    @staticmethod
    def new_rsa_key() -> RSAKey:
        return RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex, "use": "sig", "alg": "RS256"})

    def rotate(self) -> RSAKey:
        key = self.new_rsa_key()
        self.keys.insert(0, key)
        return key

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: RSAKey | ECKey | OctKey | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        key = key if key is not None else self.keys[0]
        head = {"alg": "RS256", "typ": "JWT", "kid": key.kid, **(header or {})}
        return jwt.encode(head, claims, key, algorithms=[head["alg"]])

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {"iss": self.issuer, "sub": "user-1", "aud": "client-1", "iat": now, "exp": now + 300}
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not None}

    def logout_token(
        self,
        *,
        key: RSAKey | ECKey | OctKey | None = None,
        header: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        """A Back-Channel Logout token for `self.subject` (claims set to None are left out)."""
        return self.sign(self.logout_claims(**overrides), key=key, header={"typ": "logout+jwt", **(header or {})})

    def logout_claims(self, **overrides: Any) -> dict[str, Any]:
        """The claims of `logout_token` (claims set to None are left out)."""
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": int(time.time()),
            "jti": uuid.uuid4().hex,
            "sub": self.subject,
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
            **overrides,
        }
        return {k: v for k, v in claims.items() if v is not None}

    def mint(self, nonce: str | None = None) -> dict[str, Any]:
        """A token response like Cognito's: JWT access token without `aud`, ID token with `aud`."""
        now = int(time.time())
        access = self.sign(
            {
                "iss": self.issuer,
                "sub": self.subject,
                "client_id": self.client_id,
                "token_use": "access",
                "jti": uuid.uuid4().hex,  # every access token differs, even two minted in the same second
                "scope": "openid email",
                "iat": now,
                "exp": now + self.token_lifetime,
                **self.extra_access_claims,
            }
        )
        self.issued_access_tokens.add(access)
        digest = hashlib.sha256(access.encode()).digest()
        id_claims = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": self.client_id,
            "token_use": "id",
            "email": f"{self.subject}@example.test",
            "iat": now,
            "exp": now + self.token_lifetime,
            "at_hash": base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode(),
            **({"nonce": nonce} if nonce else {}),
            **({"sid": self.sid} if self.sid else {}),
            **self.extra_id_claims,
            **self.tamper_id_token,
        }
        id_claims = {k: v for k, v in id_claims.items() if v is not None}  # tamper with None = leave it out
        refresh = secrets.token_urlsafe(24)
        self.refresh_tokens[refresh] = self.subject
        return {
            "access_token": access,
            "id_token": self.sign(id_claims),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime if self.expires_in is None else self.expires_in,
        }

    def app(self) -> Starlette:
        async def authorize(request: Request) -> Response:
            params = dict(request.query_params)
            self.authorize_requests.append(params)
            code = secrets.token_urlsafe(16)
            self.codes[code] = params
            target = params["redirect_uri"]
            answer = {"code": code, "state": params.get("state", ""), **self.authorize_extra}
            if self.authorize_error:
                answer = {"state": params.get("state", ""), **self.authorize_error}
            if params.get("response_mode") == "form_post":
                fields = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in answer.items()
                )
                page = f'<form method="post" action="{html.escape(target)}">{fields}</form>'
                return Response(page, media_type="text/html")
            joiner = "&" if "?" in target else "?"
            return RedirectResponse(target + joiner + urlencode(answer))

        async def token(request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}
            self.token_requests.append({**form, "authorization": request.headers.get("authorization", "")})
            if self.client_secret is not None:
                expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
                if request.headers.get("authorization") != expected:
                    return JSONResponse({"error": "invalid_client"}, status_code=401)
            elif form.get("client_id") != self.client_id:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            if form.get("grant_type") == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                body = self.mint()
                del body["refresh_token"]  # like Cognito: no new refresh token on refresh
                return JSONResponse(body)
            if form.get("grant_type") == "password":
                if self.passwords.get(form.get("username", "")) != form.get("password"):
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                return JSONResponse(self.mint())
            if form.get("grant_type") == "client_credentials":
                return JSONResponse(self.mint())  # the client authenticated above
            params = self.codes.pop(form.get("code", ""), None)
            if params is None or form.get("redirect_uri") != params.get("redirect_uri"):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            challenge = params.get("code_challenge")
            if challenge is not None:
                verifier = form.get("code_verifier", "")
                computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if computed != challenge:
                    return JSONResponse({"error": "invalid_grant", "error_description": "pkce"}, status_code=400)
            return JSONResponse(self.mint(params.get("nonce")))

        async def userinfo(request: Request) -> Response:
            self.userinfo_requests += 1
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token not in self.issued_access_tokens and not token.startswith("opaque-"):
                return Response(status_code=401)
            return JSONResponse(
                {
                    "sub": self.subject,
                    "email": f"{self.subject}@example.test",
                    "email_verified": "true",
                    **self.userinfo_extra,
                }
            )

        async def introspect(request: Request) -> Response:
            form = await request.form()
            self.introspection_requests += 1
            token = str(form.get("token", ""))
            if self.introspection_mode == "error":
                return Response("down", status_code=503)
            if token in self.revoked or not token.startswith("opaque-"):
                return JSONResponse({"active": False})
            now = int(time.time())
            return JSONResponse(
                {
                    "active": "true" if self.introspection_mode == "string-active" else True,
                    **({"token_type": "refresh_token"} if self.introspection_mode == "refresh-token" else {}),
                    "sub": self.subject,
                    "scope": "openid email",
                    "exp": now + 60,
                    "client_id": self.client_id,
                }
            )

        async def revoke(request: Request) -> Response:
            form = await request.form()
            self.revoked.append(str(form.get("token", "")))
            return Response(status_code=200)

        async def discovery(_: Request) -> Response:
            self.discovery_requests += 1
            if self.discovery_mode == "error":
                return Response("down", status_code=503)
            if self.discovery_mode == "garbage":
                return Response("{not json", media_type="application/json")
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": self.issuer + "/authorize",
                    "token_endpoint": self.issuer + "/token",
                    "userinfo_endpoint": self.issuer + "/userinfo",
                    "introspection_endpoint": self.issuer + "/introspect",
                    "revocation_endpoint": self.issuer + "/revoke",
                    "jwks_uri": self.issuer + "/jwks",
                    "id_token_signing_alg_values_supported": ["RS256"],
                    **self.discovery_extra,
                }
            )

        async def jwks(_: Request) -> Response:
            self.jwks_requests += 1
            if self.jwks_mode == "error":
                return Response("down", status_code=500)
            if self.jwks_mode == "garbage":
                return JSONResponse({"keys": "nope"})
            keys = [k.as_dict(private=False) for k in self.keys]
            return JSONResponse({"keys": keys + self.extra_jwks_entries})

        return Starlette(
            routes=[
                Route("/op/.well-known/openid-configuration", discovery),
                Route("/op/jwks", jwks),
                Route("/op/authorize", authorize),
                Route("/op/token", token, methods=["POST"]),
                Route("/op/userinfo", userinfo),
                Route("/op/introspect", introspect, methods=["POST"]),
                Route("/op/revoke", revoke, methods=["POST"]),
            ]
        )
