"""Provider signing keys: parse a JWKS leniently (skip what cannot verify), refetch on an unknown `kid`
at most once per interval, and keep the last good keys when the provider serves garbage or is down."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey, OKPKey, RSAKey

from sekisho.oidc.errors import ProviderError
from sekisho.oidc.http import OutboundHttp

__all__ = ["ALG_KEY_TYPES", "Jwk", "JwksCache", "parse_jwks"]

PublicKey = RSAKey | ECKey | OKPKey

# Which key type (and curve) each asymmetric algorithm needs. HS* never comes from a JWKS.
ALG_KEY_TYPES: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", None),
}
_IMPORTERS: dict[str, Any] = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}


@dataclass(frozen=True, slots=True)
class Jwk:
    kid: str | None
    kty: str
    alg: str | None
    crv: str | None
    key: PublicKey

    def can_verify(self, alg: str) -> bool:
        wanted = ALG_KEY_TYPES.get(alg)
        if wanted is None or wanted[0] != self.kty:
            return False
        if self.alg is not None and self.alg != alg:
            return False
        return wanted[1] is None or wanted[1] == self.crv


MIN_RSA_BITS = 2048


def _rsa_bits(modulus: Any) -> int:
    if not isinstance(modulus, str) or len(modulus) > 4096:
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except (ValueError, binascii.Error):
        return 0
    return int.from_bytes(raw, "big").bit_length()


def parse_jwks(document: Any) -> list[Jwk]:
    """The usable signature-verification keys of a JWKS document; anything unusable is skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ProviderError("JWKS document has no 'keys' array")
    out: list[Jwk] = []
    for raw in document["keys"]:
        if not isinstance(raw, dict):
            continue
        kty = raw.get("kty")
        if kty not in _IMPORTERS:
            continue  # oct keys are never trusted from a JWKS; unknown types are skipped
        if raw.get("use") not in (None, "sig"):
            continue
        ops = raw.get("key_ops")
        if isinstance(ops, list) and "verify" not in ops:
            continue
        if kty == "RSA" and _rsa_bits(raw.get("n")) < MIN_RSA_BITS:
            continue  # RFC 7518 §3.3: RSA keys under 2048 bits are not acceptable
        public = {k: v for k, v in raw.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "oth", "k")}
        try:
            key = _IMPORTERS[kty].import_key(public)
        except Exception:
            continue
        kid = raw.get("kid")
        alg = raw.get("alg")
        crv = raw.get("crv")
        out.append(
            Jwk(
                kid=kid if isinstance(kid, str) else None,
                kty=kty,
                alg=alg if isinstance(alg, str) else None,
                crv=crv if isinstance(crv, str) else None,
                key=key,
            )
        )
    return out


class JwksCache:
    """Keys from one or more JWKS URIs, refreshed on demand and throttled."""

    def __init__(
        self,
        http: OutboundHttp,
        uris: Callable[[], Awaitable[Sequence[str]]],
        *,
        min_refresh_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._uris = uris
        self._min_interval = min_refresh_interval
        self._clock = clock
        self._keys: list[Jwk] | None = None
        self._last_fetch = float("-inf")
        self._last_forced = float("-inf")  # the throttle counts refetches caused by unknown kids only
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def _fetch(self) -> list[Jwk]:
        uris = await self._uris()
        keys: list[Jwk] = []
        errors: list[str] = []
        for uri in uris:
            try:
                keys.extend(parse_jwks(await self._http.get_json(uri)))
            except ProviderError as exc:
                errors.append(exc.reason)
        if errors and not keys:
            raise ProviderError("; ".join(errors))
        return keys

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            now = self._clock()
            if self._keys is not None and (not force or now - self._last_forced < self._min_interval):
                return  # another request refreshed meanwhile, or the throttle says wait
            self._last_fetch = now
            if force:
                self._last_forced = now
            self.fetch_count += 1
            try:
                fresh = await self._fetch()
            except ProviderError:
                if self._keys is None:
                    raise
                return  # keep the last good keys
            if fresh or self._keys is None:
                self._keys = fresh

    async def candidates(self, kid: str | None, alg: str) -> list[Jwk]:
        """Keys that may have signed a token with this header; refetches once when `kid` is unknown."""
        if self._keys is None:
            await self._refresh(force=False)
        found = self._select(kid, alg)
        if not found and kid is not None and self._clock() - self._last_forced >= self._min_interval:
            await self._refresh(force=True)
            found = self._select(kid, alg)
        return found

    def _select(self, kid: str | None, alg: str) -> list[Jwk]:
        keys: Iterable[Jwk] = self._keys or ()
        if kid is not None:
            return [k for k in keys if k.kid == kid and k.can_verify(alg)]
        return [k for k in keys if k.can_verify(alg)]

    def public_keys(self) -> list[Jwk]:
        return list(self._keys or ())
