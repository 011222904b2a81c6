"""OpenID Connect Back-Channel Logout 1.0 for a relying party: Logout Token checks (§2.4, §2.6) and the state
that makes a logout stick — a `jti` replay cache, a revocation list of (issuer, sub|sid, logged-out-at) and,
for server-side sessions, an index from sub/sid to session ids.

Two stores with the same interface: `MemoryLogoutStore` (one worker only, bounded) and `RedisLogoutStore`
(shared by every worker and node using the same Redis). Keys are hashes, so no claim value reaches Redis.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Collection, Iterable
from typing import Any, Protocol

from sekisho.oidc.errors import ProviderError, TokenError
from sekisho.oidc.tokens import VerifiedToken, audiences_of, issuer_matches

__all__ = [
    "LOGOUT_EVENT",
    "LOGOUT_TOKEN_TYPES",
    "LogoutStore",
    "MemoryLogoutStore",
    "RedisLogoutStore",
    "check_logout_token",
    "logout_subjects",
    "normalised_issuer",
    "session_subjects",
]

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPES = ("jwt", "logout+jwt", "application/logout+jwt")
MEMORY_LIMIT = 100_000  # entries per map in `MemoryLogoutStore`; the oldest go first


def normalised_issuer(iss: str) -> str:
    return iss.rstrip("/")


def _non_empty_string(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TokenError(f"{name} claim is not a string")
    return value


def check_logout_token(
    verified: VerifiedToken,
    *,
    issuers: Collection[str],
    client_ids: Collection[str],
    max_age: float,
    leeway: float = 0,
    now: float | None = None,
) -> dict[str, Any]:
    """Back-Channel Logout §2.6 checks (signature, algorithm and `typ` are the verifier's job); returns claims."""
    claims = verified.claims
    now = time.time() if now is None else now
    if not issuer_matches(claims.get("iss"), issuers):
        raise TokenError("invalid iss claim")
    if not any(isinstance(a, str) and a in client_ids for a in audiences_of(claims)):
        raise TokenError("invalid aud claim")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise TokenError("iat claim is missing")
    if iat > now + leeway:
        raise TokenError("token issued in the future")
    if iat < now - max_age - leeway:
        raise TokenError("token is too old")
    exp = claims.get("exp")
    if exp is not None and (isinstance(exp, bool) or not isinstance(exp, int | float) or exp < now - leeway):
        raise TokenError("token expired")
    if _non_empty_string(claims, "jti") is None:
        raise TokenError("jti claim is missing")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise TokenError("events claim lacks the back-channel logout event")
    if "nonce" in claims:
        raise TokenError("a logout token must not contain a nonce")
    sub = _non_empty_string(claims, "sub")
    sid = _non_empty_string(claims, "sid")
    if sub is None and sid is None:
        raise TokenError("sub and sid claims are both missing")
    return claims


def session_subjects(iss: str, sub: str | None, sid: str | None) -> list[tuple[str, str, str]]:
    """The revocation-list keys that can end a session of (iss, sub, sid): a logout by sid ends that session,
    one by sub ends them all; a logout naming both ends the sid's session and the sub's sessions without a sid
    (those cannot be told apart by sid)."""
    keys: list[tuple[str, str, str]] = []
    if sid:
        keys.append((iss, "sid", sid))
    if sub:
        keys.append((iss, "sub", sub))
        if not sid:
            keys.append((iss, "sub-without-sid", sub))
    return keys


def logout_subjects(iss: str, sub: str | None, sid: str | None) -> list[tuple[str, str, str]]:
    """The revocation-list keys a logout token sets (the counterpart of `session_subjects`)."""
    if sid and sub:
        return [(iss, "sid", sid), (iss, "sub-without-sid", sub)]
    if sid:
        return [(iss, "sid", sid)]
    assert sub is not None
    return [(iss, "sub", sub)]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class LogoutStore(Protocol):
    async def remember_jti(self, iss: str, jti: str, ttl: float) -> bool:
        """Record a logout token's jti; False when it was already seen (a replay)."""
        ...

    async def revoke(self, keys: Iterable[tuple[str, str, str]], at: float, ttl: float) -> None: ...

    async def revoked_after(self, keys: Iterable[tuple[str, str, str]], created_at: float) -> bool:
        """Whether any of the keys was logged out at or after `created_at`."""
        ...

    async def index_session(self, keys: Iterable[tuple[str, str, str]], session_id: str, ttl: float) -> None: ...

    async def indexed_sessions(self, keys: Iterable[tuple[str, str, str]]) -> set[str]:
        """Session ids indexed under the keys (forgets them: they are about to be deleted)."""
        ...


class _Bounded:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str, now: float) -> Any:
        hit = self.items.get(key)
        if hit is None:
            return None
        if hit[0] <= now:
            del self.items[key]
            return None
        return hit[1]

    def put(self, key: str, value: Any, expires_at: float) -> None:
        self.items[key] = (expires_at, value)
        self.items.move_to_end(key)
        while len(self.items) > self.limit:
            self.items.popitem(last=False)


class MemoryLogoutStore:
    """Per-worker state, each map bounded to `limit` entries (oldest dropped first). Only right when one worker
    serves the plugin: a logout reaching one worker is unknown to the others."""

    def __init__(self, *, limit: int = MEMORY_LIMIT) -> None:
        self._jtis = _Bounded(limit)
        self._revoked = _Bounded(limit)
        self._index = _Bounded(limit)

    async def remember_jti(self, iss: str, jti: str, ttl: float) -> bool:
        now = time.time()
        key = _digest(iss, jti)
        if self._jtis.get(key, now) is not None:
            return False
        self._jtis.put(key, True, now + ttl)
        return True

    async def revoke(self, keys: Iterable[tuple[str, str, str]], at: float, ttl: float) -> None:
        now = time.time()
        for key in keys:
            digest = _digest(*key)
            previous = self._revoked.get(digest, now) or 0.0
            self._revoked.put(digest, max(previous, at), now + ttl)

    async def revoked_after(self, keys: Iterable[tuple[str, str, str]], created_at: float) -> bool:
        now = time.time()
        return any((self._revoked.get(_digest(*key), now) or -1.0) >= created_at for key in keys)

    async def index_session(self, keys: Iterable[tuple[str, str, str]], session_id: str, ttl: float) -> None:
        now = time.time()
        for key in keys:
            digest = _digest(*key)
            ids: set[str] = self._index.get(digest, now) or set()
            ids.add(session_id)
            self._index.put(digest, ids, now + ttl)

    async def indexed_sessions(self, keys: Iterable[tuple[str, str, str]]) -> set[str]:
        now = time.time()
        found: set[str] = set()
        for key in keys:
            digest = _digest(*key)
            found |= self._index.get(digest, now) or set()
            self._index.items.pop(digest, None)
        return found


class RedisLogoutStore:
    """State in Redis under `<prefix>:bcl:...`, shared by every worker and node; Redis errors fail closed."""

    def __init__(self, client: Any, *, prefix: str) -> None:
        self._redis = client
        self._prefix = f"{prefix}:bcl"

    def _key(self, kind: str, *parts: str) -> str:
        return f"{self._prefix}:{kind}:{_digest(*parts)}"

    async def remember_jti(self, iss: str, jti: str, ttl: float) -> bool:
        try:
            return bool(await self._redis.set(self._key("jti", iss, jti), b"1", nx=True, ex=max(1, int(ttl) + 1)))
        except Exception as exc:  # refused connections, timeouts, server errors
            raise ProviderError(f"logout storage is unavailable ({type(exc).__name__})") from exc

    async def revoke(self, keys: Iterable[tuple[str, str, str]], at: float, ttl: float) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    name = self._key("revoked", *key)
                    # keep the latest logout time when two logouts race
                    pipe.eval(
                        "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
                        "if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end "
                        "redis.call('EXPIRE', KEYS[1], ARGV[2]) return 1",
                        1,
                        name,
                        repr(at),
                        max(1, int(ttl)),
                    )
                await pipe.execute()
        except Exception as exc:
            raise ProviderError(f"logout storage is unavailable ({type(exc).__name__})") from exc

    async def revoked_after(self, keys: Iterable[tuple[str, str, str]], created_at: float) -> bool:
        names = [self._key("revoked", *key) for key in keys]
        if not names:
            return False
        try:
            values = await self._redis.mget(names)
        except Exception as exc:
            raise ProviderError(f"logout storage is unavailable ({type(exc).__name__})") from exc
        for value in values:
            if value is None:
                continue
            try:
                if float(value) >= created_at:
                    return True
            except ValueError:
                return True  # unreadable entry: refuse rather than guess
        return False

    async def index_session(self, keys: Iterable[tuple[str, str, str]], session_id: str, ttl: float) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    name = self._key("index", *key)
                    pipe.sadd(name, session_id)
                    pipe.expire(name, max(1, int(ttl)))
                await pipe.execute()
        except Exception as exc:
            raise ProviderError(f"logout storage is unavailable ({type(exc).__name__})") from exc

    async def indexed_sessions(self, keys: Iterable[tuple[str, str, str]]) -> set[str]:
        names = [self._key("index", *key) for key in keys]
        found: set[str] = set()
        try:
            for name in names:
                members = await self._redis.smembers(name)
                await self._redis.delete(name)
                found |= {m.decode() if isinstance(m, bytes) else str(m) for m in members}
        except Exception as exc:
            raise ProviderError(f"logout storage is unavailable ({type(exc).__name__})") from exc
        return found
