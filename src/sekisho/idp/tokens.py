"""Tokens with Cognito's shapes: signed ID and access JWTs, and opaque JWE-looking refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from sekisho.idp.errors import CognitoError
from sekisho.idp.lifetimes import lifetime_seconds
from sekisho.idp.models import Client, Pool, User, attribute_map, can_read
from sekisho.idp.services import Services
from sekisho.idp.store import Put

__all__ = [
    "IssuedTokens",
    "TokenRequest",
    "attribute_claims",
    "issue_tokens",
    "lifetime_seconds",
    "refresh_token_record",
    "refresh_tokens",
    "rotates_refresh_tokens",
    "verify_access_token",
]

_PROFILE_ATTRIBUTES = {
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "address",
}
_JWE_HEADER = base64.urlsafe_b64encode(b'{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}').rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class TokenRequest:
    pool: Pool
    client: Client
    user: User
    scopes: list[str]
    auth_time: int
    # True for tokens of the authorization server (hosted UI / token endpoint): at_hash, scope-filtered claims.
    from_authorization_server: bool
    nonce: str | None = None
    origin_jti: str | None = None
    with_refresh_token: bool = True


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    id_token: str | None
    refresh_token: str | None
    expires_in: int


def attribute_claims(
    client: Client, user: User, scopes: list[str] | None, *, as_strings: bool = False
) -> dict[str, Any]:
    """Readable attributes, filtered by scopes when `scopes` is given (userInfo / authorization-server tokens)."""
    allowed: set[str] | None = None
    if scopes is not None and ("profile" in scopes or "email" in scopes or "phone" in scopes):
        allowed = set(_PROFILE_ATTRIBUTES) if "profile" in scopes else set()
        if "email" in scopes:
            allowed |= {"email", "email_verified"}
        if "phone" in scopes:
            allowed |= {"phone_number", "phone_number_verified"}
    claims: dict[str, Any] = {}
    for name, value in attribute_map(user).items():
        if name == "sub" or not can_read(client, name):
            continue
        if allowed is not None and name not in allowed and not name.startswith("custom:"):
            continue
        claims[name] = value if as_strings else _typed(name, value)
    return claims


def _typed(name: str, value: str) -> Any:
    if name in ("email_verified", "phone_number_verified"):
        return value == "true"
    if name == "updated_at" and value.isdigit():
        return int(value)
    return value


async def issue_tokens(svc: Services, request: TokenRequest) -> IssuedTokens:
    now = int(svc.clock.now())
    pool, client, user = request.pool, request.client, request.user
    attrs = attribute_map(user)
    issuer = svc.settings.issuer(pool["Id"])
    revocation = client.get("EnableTokenRevocation", True)
    origin_jti = request.origin_jti or (str(uuid.uuid4()) if revocation else None)
    groups = await _group_names(svc, pool, user)
    event_id = str(uuid.uuid4())
    access_claims: dict[str, Any] = {
        "sub": attrs["sub"],
        **({"cognito:groups": groups} if groups else {}),
        "iss": issuer,
        "version": 2,
        "client_id": client["ClientId"],
        **({"origin_jti": origin_jti} if origin_jti else {}),
        "event_id": event_id,
        "token_use": "access",
        "scope": " ".join(request.scopes),
        "auth_time": request.auth_time,
        "exp": now + lifetime_seconds(client, "AccessToken"),
        "iat": now,
        "jti": str(uuid.uuid4()),
        "username": user["Username"],
    }
    access_token = await _sign(svc, pool["Id"], "access", access_claims)
    id_token = None
    if "openid" in request.scopes or not request.from_authorization_server:
        id_claims: dict[str, Any] = {}
        if request.from_authorization_server:
            id_claims["at_hash"] = _half_hash(access_token)
        id_claims |= {
            "sub": attrs["sub"],
            **({"cognito:groups": groups} if groups else {}),
            "iss": issuer,
            "cognito:username": user["Username"],
            **({"nonce": request.nonce} if request.nonce else {}),
            **({"origin_jti": origin_jti} if origin_jti else {}),
            "aud": client["ClientId"],
            "event_id": event_id,
            "token_use": "id",
            "auth_time": request.auth_time,
            "exp": now + lifetime_seconds(client, "IdToken"),
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
        scopes = request.scopes if request.from_authorization_server else None
        id_claims |= attribute_claims(client, user, scopes)
        id_token = await _sign(svc, pool["Id"], "id", id_claims)
    refresh_token = None
    if request.with_refresh_token:
        refresh_token = _opaque_refresh_token()
        record = {
            "digest": _digest(refresh_token),
            "client_id": client["ClientId"],
            "user_key": user["_key"],
            "scopes": request.scopes,
            "auth_time": request.auth_time,
            "origin_jti": origin_jti,
            "from_authorization_server": request.from_authorization_server,
            "issued_at": now,
            "expires_at": now + lifetime_seconds(client, "RefreshToken"),
        }
        await svc.store.apply([Put("refresh_token", pool["Id"], _digest(refresh_token), record)])
    return IssuedTokens(access_token, id_token, refresh_token, lifetime_seconds(client, "AccessToken"))


async def refresh_token_record(svc: Services, pool: Pool, token: str) -> dict[str, Any] | None:
    """The live record of a refresh token, or None when unknown, revoked, expired or signed out."""
    record = await svc.store.get("refresh_token", pool["Id"], _digest(token))
    if record is None or record.get("revoked") or record["expires_at"] <= svc.clock.now():
        return None
    user = await svc.store.get("user", pool["Id"], record["user_key"])
    if user is None or record["issued_at"] < user.get("_tokens_valid_after", 0):
        return None
    return record


async def verify_access_token(svc: Services, token: str) -> tuple[Pool, dict[str, Any]]:
    """Check an access token as Cognito's own APIs do; NotAuthorizedException otherwise."""
    invalid = CognitoError.not_authorized("Invalid Access Token")
    try:
        header_b64, payload_b64, _sig = token.split(".")
        header = json.loads(_b64decode(header_b64))
        claims = json.loads(_b64decode(payload_b64))
        pool_id = str(claims["iss"]).rsplit("/", 1)[-1]
        kid = str(header["kid"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise invalid from None
    pool = await svc.store.get("pool", "", pool_id)
    key = await svc.keys.public_key(pool_id, kid) if pool is not None else None
    if pool is None or key is None or claims.get("iss") != svc.settings.issuer(pool_id):
        raise invalid
    try:
        jws.deserialize_compact(token, key, algorithms=["RS256"])
    except JoseError:
        raise invalid from None
    if claims.get("token_use") != "access":
        raise invalid
    if claims.get("exp", 0) <= svc.clock.now():
        raise CognitoError.not_authorized("Access Token has expired")
    origin = claims.get("origin_jti")
    if origin and await svc.store.get("revoked_origin", pool_id, origin) is not None:
        raise CognitoError.not_authorized("Access Token has been revoked")
    user = await svc.store.get("user", pool_id, _user_key_for(pool, claims))
    if user is None:
        raise CognitoError.not_authorized("Access Token has been revoked")
    if claims.get("iat", 0) < user.get("_tokens_valid_after", 0):
        raise CognitoError.not_authorized("Access Token has been revoked")
    if not user.get("Enabled", True):
        raise CognitoError.not_authorized("User is disabled.")
    claims["_user"] = user
    return pool, claims


def _user_key_for(pool: Pool, claims: dict[str, Any]) -> str:
    from sekisho.idp.models import user_key

    return user_key(pool, str(claims.get("username", "")))


async def _group_names(svc: Services, pool: Pool, user: User) -> list[str]:
    names = user.get("_groups") or []
    if not names:
        return []
    groups = [await svc.store.get("group", pool["Id"], name) for name in names]
    present = [g for g in groups if g is not None]
    present.sort(key=lambda g: (g.get("Precedence") if g.get("Precedence") is not None else 1 << 31, g["GroupName"]))
    return [g["GroupName"] for g in present]


async def _sign(svc: Services, pool_id: str, use: str, claims: dict[str, Any]) -> str:
    key = await svc.keys.current(pool_id, "id" if use == "id" else "access")
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return jws.serialize_compact({"kid": key.kid, "alg": "RS256"}, payload, key.key)


def _half_hash(token: str) -> str:
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def _opaque_refresh_token() -> str:
    parts = [secrets.token_bytes(256), secrets.token_bytes(12), secrets.token_bytes(480), secrets.token_bytes(16)]
    return ".".join([_JWE_HEADER, *(base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in parts)])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


async def issue_client_credentials_token(svc: Services, pool: Pool, client: Client, scopes: list[str]) -> IssuedTokens:
    """A machine token: `sub` = client id, custom scopes only, no username or groups."""
    now = int(svc.clock.now())
    claims: dict[str, Any] = {
        "sub": client["ClientId"],
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": now,
        "iss": svc.settings.issuer(pool["Id"]),
        "exp": now + lifetime_seconds(client, "AccessToken"),
        "iat": now,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client["ClientId"],
    }
    token = await _sign(svc, pool["Id"], "access", claims)
    return IssuedTokens(token, None, None, lifetime_seconds(client, "AccessToken"))


def rotates_refresh_tokens(client: Client) -> bool:
    return (client.get("RefreshTokenRotation") or {}).get("Feature") == "ENABLED"


async def refresh_tokens(svc: Services, pool: Pool, client: Client, user: User, record: dict[str, Any]) -> IssuedTokens:
    """New tokens for a live refresh token. With rotation enabled a new refresh token comes back and the old one
    stops working after the client's grace period; otherwise none comes back (Cognito's default)."""
    rotate = rotates_refresh_tokens(client)
    request = TokenRequest(
        pool,
        client,
        user,
        record["scopes"],
        record["auth_time"],
        from_authorization_server=record["from_authorization_server"],
        origin_jti=record.get("origin_jti"),
        with_refresh_token=rotate,
    )
    issued = await issue_tokens(svc, request)
    if rotate:
        grace = int((client.get("RefreshTokenRotation") or {}).get("RetryGracePeriodSeconds", 0))
        retired = {**record, "expires_at": min(record["expires_at"], svc.clock.now() + grace)}
        await svc.store.apply([Put("refresh_token", pool["Id"], record["digest"], retired)])
    return issued
