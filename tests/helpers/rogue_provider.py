"""A small, deliberately misbehaving OpenID provider for relying-party tests.

It serves discovery and JWKS on a real socket, signs tokens with real keys, and can be told to rotate keys,
serve garbage, fail, or count how often it is asked — everything the adversarial tests need."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
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

    def app(self) -> Starlette:
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
            ]
        )
