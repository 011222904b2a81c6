"""JWT verification for a relying party (RFC 7515/7519, OIDC Core §3.1.3.7), with the algorithm pinned.

The algorithm a token may use comes from configuration and the provider's metadata, never from the token
header alone: `none` is never accepted, HS* only when the caller explicitly passes shared secrets (Kong's
`enable_hs_signatures`), and an asymmetric key is only used with the algorithm family it belongs to — so
an RSA public key can never be abused as an HMAC secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from sekisho.oidc.errors import TokenError
from sekisho.oidc.jwks import ALG_KEY_TYPES, Jwk, JwksCache

__all__ = [
    "ASYMMETRIC_ALGS",
    "HS_ALGS",
    "TokenVerifier",
    "VerifiedToken",
    "audiences_of",
    "check_access_token",
    "check_id_token",
    "claim_at",
    "issuer_matches",
]

ASYMMETRIC_ALGS = frozenset(ALG_KEY_TYPES)
HS_ALGS = frozenset({"HS256", "HS384", "HS512"})
MAX_TOKEN_BYTES = 16 * 1024
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_ID_TOKEN_ONLY_CLAIMS = ("nonce", "at_hash", "c_hash")
_HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    header: dict[str, Any]
    claims: dict[str, Any]
    jwk: Jwk | None


def _b64decode(part: str) -> bytes:
    """Strict, canonical base64url: no padding, no other alphabet, no junk, no stray trailing bits — so one
    token has exactly one spelling (caches and revocation lists keyed on the text cannot be dodged)."""
    if not _B64URL.fullmatch(part):
        raise TokenError("token is not valid base64url")
    padded = part + "=" * (-len(part) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise TokenError("token is not valid base64url") from exc
    if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode("ascii") != part:
        raise TokenError("token is not canonical base64url")
    return decoded


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise ValueError(f"duplicate member {name!r}")
        out[name] = value
    return out


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw, object_pairs_hook=_no_duplicates)
    except ValueError as exc:
        raise TokenError(f"token {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise TokenError(f"token {what} is not a JSON object")
    return value


def split_jws(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decode header and claims WITHOUT verifying; for routing decisions only."""
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenError("token is too large")
    parts = token.split(".")
    if len(parts) == 5:
        raise TokenError("encrypted tokens (JWE) are not supported")
    if len(parts) != 3 or not all(parts):
        raise TokenError("token is not a compact JWS")
    _b64decode(parts[2])  # the signature must be canonical too
    return _json_object(_b64decode(parts[0]), "header"), _json_object(_b64decode(parts[1]), "payload")


class TokenVerifier:
    """Verifies signatures against a provider's keys; remembers verified tokens until they expire."""

    def __init__(
        self,
        keys: JwksCache,
        *,
        allowed_algs: Collection[str],
        hs_secrets: Sequence[str] = (),
        cache_size: int = 10000,
        clock: Callable[[], float] = time.time,
        accepted_types: Collection[str] = ("jwt", "at+jwt", "application/at+jwt"),
    ) -> None:
        algs = set(allowed_algs) - {"none"}
        if not hs_secrets:
            algs -= HS_ALGS
        unknown = algs - ASYMMETRIC_ALGS - HS_ALGS
        if unknown:
            raise ValueError(f"unsupported algorithms: {', '.join(sorted(unknown))}")
        self._keys = keys
        self.allowed_algs = frozenset(algs)
        self._hs_keys = [OctKey.import_key(secret.encode()) for secret in hs_secrets]
        self._cache: OrderedDict[bytes, tuple[float, VerifiedToken]] = OrderedDict()
        self._cache_size = cache_size
        self._clock = clock
        self._accepted_types = frozenset(t.lower() for t in accepted_types)

    async def verify(self, token: str) -> VerifiedToken:
        """Check structure and signature; claims are the caller's job (`check_id_token`, ...)."""
        cache_key = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        hit = self._cache.get(cache_key)
        if hit is not None:
            expires, verified = hit
            if self._clock() < expires:
                self._cache.move_to_end(cache_key)
                return verified
            del self._cache[cache_key]
        header, claims = split_jws(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.allowed_algs:
            raise TokenError(f"token algorithm {alg!r} is not allowed")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in self._accepted_types):
            raise TokenError("token type is not JWT")
        if "crit" in header:
            raise TokenError("token has critical header parameters")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenError("token kid is not a string")
        used: Jwk | None = None
        if alg in HS_ALGS:
            ok = any(self._check(token, key, alg) for key in self._hs_keys)
        else:
            candidates = await self._keys.candidates(kid, alg)
            if not candidates:
                raise TokenError("suitable jwk was not found")
            used = next((c for c in candidates if self._check(token, c.key, alg)), None)
            ok = used is not None
        if not ok:
            raise TokenError("invalid signature")
        verified = VerifiedToken(header=header, claims=claims, jwk=used)
        exp = claims.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            self._cache[cache_key] = (float(exp), verified)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return verified

    @staticmethod
    def _check(token: str, key: Any, alg: str) -> bool:
        try:
            jws.deserialize_compact(token, key, algorithms=[alg])
        except (JoseError, ValueError, TypeError):
            return False
        return True


# -- claims ---------------------------------------------------------------------------------------------


def claim_at(claims: dict[str, Any], path: Sequence[str]) -> Any:
    """The value at a claim path (`["user", "name"]`), or None."""
    value: Any = claims
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def issuer_matches(iss: Any, allowed: Collection[str]) -> bool:
    """Kong tolerates a trailing slash and a `/.well-known/...` suffix on the configured issuer."""
    if not isinstance(iss, str):
        return False
    wanted = iss.rstrip("/")
    for candidate in allowed:
        base = candidate.split("/.well-known/")[0].rstrip("/")
        if wanted == base:
            return True
    return False


def _number(claims: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise TokenError(f"{name} claim is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenError(f"{name} claim is not a number")
    return float(value)


def _check_times(claims: dict[str, Any], *, now: float, leeway: float, require_exp: bool, require_iat: bool) -> None:
    exp = _number(claims, "exp", required=require_exp)
    if exp is not None and exp < now - leeway:
        raise TokenError("token expired")
    iat = _number(claims, "iat", required=require_iat)
    if iat is not None and iat > now + leeway:
        raise TokenError("token issued in the future")
    nbf = _number(claims, "nbf", required=False)
    if nbf is not None and nbf > now + leeway:
        raise TokenError("token not valid yet")


def _is_logout_token(claims: dict[str, Any]) -> bool:
    events = claims.get("events")
    return isinstance(events, dict) and "http://schemas.openid.net/event/backchannel-logout" in events


def _left_half_hash(value: str, alg: str) -> str:
    hasher = hashlib.sha512 if alg == "EdDSA" else _HASHES.get(alg[-3:], hashlib.sha256)
    digest = hasher(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def audiences_of(claims: dict[str, Any]) -> list[Any]:
    """`aud` as a list: one string, or the array as given, else empty."""
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []


def check_id_token(
    verified: VerifiedToken,
    *,
    issuers: Collection[str],
    client_ids: Collection[str],
    nonce: str | None = None,
    access_token: str | None = None,
    max_age: float | None = None,
    leeway: float = 0,
    now: float | None = None,
) -> dict[str, Any]:
    """OIDC Core §3.1.3.7 checks for an ID token; returns its claims."""
    claims = verified.claims
    now = time.time() if now is None else now
    if not issuer_matches(claims.get("iss"), issuers):
        raise TokenError("invalid iss claim")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise TokenError("sub claim is missing")
    audiences = audiences_of(claims)
    if not any(a in client_ids for a in audiences):
        raise TokenError("invalid aud claim")
    azp = claims.get("azp")
    if azp is not None and azp not in client_ids:
        raise TokenError("invalid azp claim")
    if len(audiences) > 1 and azp is None:
        raise TokenError("azp claim is required with several audiences")
    _check_times(claims, now=now, leeway=leeway, require_exp=True, require_iat=True)
    if claims.get("token_use") not in (None, "id"):
        raise TokenError("token is not an ID token")
    if _is_logout_token(claims):
        raise TokenError("a logout token is not an ID token")
    if nonce is not None and claims.get("nonce") != nonce:
        raise TokenError("invalid nonce claim")
    if access_token is not None and "at_hash" in claims:
        alg = str(verified.header.get("alg"))
        at_hash = claims["at_hash"]
        if not isinstance(at_hash, str) or not hmac.compare_digest(at_hash, _left_half_hash(access_token, alg)):
            raise TokenError("invalid at_hash claim")
    if max_age is not None:
        auth_time = _number(claims, "auth_time", required=True)
        if auth_time is not None and auth_time + max_age < now - leeway:
            raise TokenError("authentication is too old (max_age)")
    return claims


def check_access_token(
    verified: VerifiedToken,
    *,
    issuers: Collection[str],
    leeway: float = 0,
    require_exp: bool = True,
    now: float | None = None,
) -> dict[str, Any]:
    """Checks for a JWT access token presented as a bearer token; returns its claims.

    `iss` and `exp` are required: a bearer token from nowhere, or one that never expires, is refused. A token
    that says it is an ID token (Cognito's `token_use: id`) is refused too, so ID tokens cannot stand in for
    access tokens."""
    claims = verified.claims
    now = time.time() if now is None else now
    if not issuer_matches(claims.get("iss"), issuers):
        raise TokenError("invalid iss claim")
    _check_times(claims, now=now, leeway=leeway, require_exp=require_exp, require_iat=False)
    token_use = claims.get("token_use")
    if token_use is not None and token_use != "access":
        raise TokenError("token is not an access token")
    if _is_logout_token(claims):
        raise TokenError("a logout token is not an access token")
    if str(verified.header.get("typ") or "").lower() not in ("at+jwt", "application/at+jwt") and any(
        name in claims for name in _ID_TOKEN_ONLY_CLAIMS
    ):
        # RFC 8725 §3.11: without Cognito's token_use, an ID token gives itself away by its nonce/at_hash.
        raise TokenError("token is an ID token, not an access token")
    return claims
