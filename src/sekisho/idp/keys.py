"""Per-pool RS256 signing keys: one for ID tokens, one for access tokens, as Cognito.

Rotation makes a new current key per use and keeps the old public key published (in the JWKS) until every
token it signed has expired, so resource servers holding such a token can still verify it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from joserfc.jwk import RSAKey

from sekisho.idp.clock import Clock
from sekisho.idp.lifetimes import lifetime_seconds
from sekisho.idp.store import Conflict, Insert, Put, StoreAdapter

__all__ = ["MAX_TOKEN_LIFETIME_SECONDS", "KeyRing", "KeyUse", "SigningKey"]

KeyUse = Literal["id", "access"]
_KIND = "signing_key"
# ID/access tokens live at most one day (Cognito's upper bound): the longest a retired key may be needed.
MAX_TOKEN_LIFETIME_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    use: KeyUse
    key: RSAKey


class KeyRing:
    def __init__(self, store: StoreAdapter, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._cache: dict[str, RSAKey] = {}

    async def current(self, pool_id: str, use: KeyUse) -> SigningKey:
        records = await self._records(pool_id)
        active = [r for r in records if r["use"] == use and r.get("retired_at") is None]
        if not active:
            await self._create_initial(pool_id)
            records = await self._records(pool_id)
            active = [r for r in records if r["use"] == use and r.get("retired_at") is None]
        record = max(active, key=lambda r: (r["created_at"], r["kid"]))
        return SigningKey(record["kid"], use, self._private(record))

    async def jwks(self, pool_id: str) -> dict[str, list[dict[str, str]]]:
        await self.current(pool_id, "id")
        now = self._clock.now()
        keys = [
            r["public_jwk"]
            for r in sorted(await self._records(pool_id), key=lambda r: (r["use"], r["created_at"]))
            if r.get("retired_at") is None or _published_until(r) > now
        ]
        return {"keys": keys}

    async def public_key(self, pool_id: str, kid: str) -> RSAKey | None:
        record = await self._store.get(_KIND, pool_id, kid)
        if record is None:
            return None
        if record.get("retired_at") is not None and _published_until(record) <= self._clock.now():
            return None
        return self._private(record)

    async def rotate(self, pool_id: str) -> list[str]:
        """Retire the current keys of the pool and make new ones; returns the new kids.

        A retired key stays published until the longest-lived ID or access token of the pool's clients, signed
        just before the rotation, has expired."""
        now = self._clock.now()
        clients = await self._store.list("client", pool_id)
        keep = max([lifetime_seconds(c, which) for c in clients for which in ("AccessToken", "IdToken")] or [3600])
        ops: list[Insert | Put] = []
        for record in await self._records(pool_id):
            if record.get("retired_at") is None:
                retired = {**record, "retired_at": now, "published_until": now + min(keep, MAX_TOKEN_LIFETIME_SECONDS)}
                ops.append(Put(_KIND, pool_id, record["kid"], retired))
        new = [_new_record("id", now), _new_record("access", now)]
        ops += [Insert(_KIND, pool_id, r["kid"], r) for r in new]
        await self._store.apply(ops)
        return [r["kid"] for r in new]

    async def _create_initial(self, pool_id: str) -> None:
        now = self._clock.now()
        # A fixed key name per use makes concurrent first uses race on one row instead of making two keys.
        ops = []
        for use in ("id", "access"):
            marker = await self._store.get(_KIND + "_initial", pool_id, use)
            if marker is None:
                record = _new_record(use, now)
                ops.append((Insert(_KIND + "_initial", pool_id, use, {"kid": record["kid"]}), record))
        for marker_op, record in ops:
            try:
                await self._store.apply([marker_op, Insert(_KIND, pool_id, record["kid"], record)])
            except Conflict:
                pass

    async def _records(self, pool_id: str) -> list[dict[str, Any]]:
        return await self._store.list(_KIND, pool_id)

    def _private(self, record: dict[str, Any]) -> RSAKey:
        kid = record["kid"]
        key = self._cache.get(kid)
        if key is None:
            key = RSAKey.import_key(record["private_pem"])
            self._cache[kid] = key
        return key


def _published_until(record: dict[str, Any]) -> float:
    return float(record.get("published_until") or record["retired_at"] + MAX_TOKEN_LIFETIME_SECONDS)


def _new_record(use: str, now: float) -> dict[str, Any]:
    key = RSAKey.generate_key(2048, private=True)
    public = key.as_dict(private=False)
    # Cognito kids are 44-char standard base64 strings (a SHA-256 digest).
    digest = hashlib.sha256(f"{public['n']}.{use}.{now}".encode()).digest()
    kid = base64.b64encode(digest).decode()
    private_pem = key.as_pem(private=True).decode()
    jwk = {"alg": "RS256", "e": public["e"], "kid": kid, "kty": "RSA", "n": public["n"], "use": "sig"}
    return {
        "kid": kid,
        "use": use,
        "private_pem": private_pem,
        "public_jwk": jwk,
        "created_at": now,
        "retired_at": None,
    }
