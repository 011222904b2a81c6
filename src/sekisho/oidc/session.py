"""Browser sessions: AEAD-encrypted cookies (chunked past the size limit) or server-side storage in Redis.

The cookie is AES-256-GCM with a fresh 96-bit nonce per save and the cookie name as associated data, under a
key derived (HKDF-SHA256) from the configured secret. Anything that does not decrypt, parse and pass the
timeouts — tampered, truncated, foreign, expired, too large, too many chunks — is simply "no session".
With Redis the cookie carries only an encrypted random id, so sessions can be revoked server side.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sekisho.oidc.errors import ProviderError
from sekisho.oidc.randomness import new_session_id

__all__ = ["CookieCodec", "RedisSessionStorage", "Session", "SessionManager", "SessionOptions", "SessionStorage"]

_VERSION = 1
MAX_COOKIE_HEADER_BYTES = 64 * 1024
_OPENED_CACHE_SIZE = 1024


class CookieCodec:
    """Seal and open JSON values for one cookie name."""

    def __init__(self, secret: bytes | str, *, purpose: bytes = b"sekisho-session") -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ValueError("session secret must be at least 16 bytes")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=purpose, info=b"aes-256-gcm").derive(raw)
        self._aead = AESGCM(key)

    def seal(self, value: Any, name: str) -> str:
        nonce = os.urandom(12)
        plaintext = json.dumps(value, separators=(",", ":")).encode()
        sealed = nonce + self._aead.encrypt(nonce, plaintext, name.encode())
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def open(self, token: str, name: str) -> Any | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) < 12 + 16:
            return None
        try:
            plaintext = self._aead.decrypt(raw[:12], raw[12:], name.encode())
            return json.loads(plaintext)
        except (InvalidTag, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """Kong's session settings (3.x names; 2.8 names map onto them in the plugin schema)."""

    cookie_name: str = "session"
    path: str = "/"
    domain: str | None = None
    same_site: str | None = "Lax"
    secure: bool | None = None  # None: follow the request scheme
    http_only: bool = True
    rolling_timeout: float = 3600
    idling_timeout: float | None = 900
    absolute_timeout: float | None = 86400
    max_chunk_size: int = 4000
    max_chunks: int = 10


@dataclass(slots=True)
class Session:
    id: str
    data: dict[str, Any]
    created_at: float
    rolling_expires: float
    last_seen: float
    fresh: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    changed: bool = False  # data changed since it was opened (e.g. tokens refreshed): must be saved


class SessionStorage(Protocol):
    """Where session data lives when it is not in the cookie."""

    async def load(self, session_id: str) -> dict[str, Any] | None: ...
    async def store(self, session_id: str, value: dict[str, Any], ttl: float) -> None: ...
    async def delete(self, session_id: str) -> None: ...


class RedisSessionStorage:
    """Session data in Redis under `<prefix>:<id>`, expiring with the session."""

    def __init__(self, client: Any, *, prefix: str = "sessions") -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:{session_id}"

    async def load(self, session_id: str) -> dict[str, Any] | None:
        try:
            raw = await self._redis.get(self._key(session_id))
        except Exception as exc:  # redis errors, refused connections, timeouts: fail closed
            raise ProviderError(f"session storage is unavailable ({type(exc).__name__})") from exc
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def store(self, session_id: str, value: dict[str, Any], ttl: float) -> None:
        try:
            await self._redis.set(self._key(session_id), json.dumps(value, separators=(",", ":")), ex=max(1, int(ttl)))
        except Exception as exc:
            raise ProviderError(f"session storage is unavailable ({type(exc).__name__})") from exc

    async def delete(self, session_id: str) -> None:
        try:
            await self._redis.delete(self._key(session_id))
        except Exception as exc:
            raise ProviderError(f"session storage is unavailable ({type(exc).__name__})") from exc


class SessionManager:
    """Opens, saves and destroys sessions for one cookie configuration."""

    def __init__(
        self,
        codec: CookieCodec,
        options: SessionOptions,
        storage: SessionStorage | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._codec = codec
        self.options = options
        self._storage = storage
        self._clock = clock
        # Opened envelopes by the exact sealed text: a browser sends the same cookie on every request until
        # it is rewritten, so decrypting and parsing it once is enough. Only authentic envelopes get here.
        self._opened: OrderedDict[str, dict[str, Any]] = OrderedDict()

    # -- cookies -----------------------------------------------------------------------------------------
    def _chunk_name(self, index: int) -> str:
        return self.options.cookie_name if index == 1 else f"{self.options.cookie_name}_{index}"

    def _read_cookie(self, cookies: Mapping[str, str]) -> str | None:
        first = cookies.get(self.options.cookie_name)
        if first is None:
            return None
        count_text, sep, body = first.partition(":")
        if not sep or not count_text.isdigit():
            return None
        count = int(count_text)
        if not 1 <= count <= self.options.max_chunks:
            return None
        parts = [body]
        for index in range(2, count + 1):
            part = cookies.get(self._chunk_name(index))
            if part is None:
                return None
            parts.append(part)
        joined = "".join(parts)
        return joined if len(joined) <= MAX_COOKIE_HEADER_BYTES else None

    def _cookie(self, name: str, value: str, *, max_age: int | None, secure: bool) -> str:
        out = [f"{name}={value}", f"Path={self.options.path}"]
        if self.options.domain:
            out.append(f"Domain={self.options.domain}")
        if max_age is not None:
            out.append(f"Max-Age={max_age}")
            if max_age == 0:
                out.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
        if self.options.same_site and self.options.same_site not in ("off", "Default"):
            out.append(f"SameSite={self.options.same_site}")
        if secure:
            out.append("Secure")
        if self.options.http_only:
            out.append("HttpOnly")
        return "; ".join(out)

    # -- life cycle ----------------------------------------------------------------------------------------
    def new(self, data: dict[str, Any] | None = None) -> Session:
        now = self._clock()
        return Session(
            id=new_session_id(),
            data=dict(data or {}),
            created_at=now,
            rolling_expires=now + self.options.rolling_timeout,
            last_seen=now,
            fresh=True,
        )

    async def open(self, cookies: Mapping[str, str]) -> Session | None:
        sealed = self._read_cookie(cookies)
        if sealed is None:
            return None
        envelope = self._opened.get(sealed)
        if envelope is None:
            envelope = self._codec.open(sealed, self.options.cookie_name)
            if not isinstance(envelope, dict) or envelope.get("v") != _VERSION:
                return None
            self._opened[sealed] = envelope
            if len(self._opened) > _OPENED_CACHE_SIZE:
                self._opened.popitem(last=False)
        else:
            self._opened.move_to_end(sealed)
        try:
            session_id = str(envelope["id"])
            created_at = float(envelope["c"])
            rolling_expires = float(envelope["r"])
            last_seen = float(envelope["l"])
        except (KeyError, TypeError, ValueError):
            return None
        if self._clock() >= self._expiry(created_at, rolling_expires, last_seen):
            return None
        if self._storage is not None:
            data = await self._storage.load(session_id)
            if data is None:
                return None  # revoked or expired server side
        else:
            data = envelope.get("d")
            if not isinstance(data, dict):
                return None
            data = dict(data)  # the cached envelope stays as sealed; callers replace values, never mutate them
        return Session(session_id, data, created_at, rolling_expires, last_seen)

    def needs_save(self, session: Session) -> bool:
        """Whether a request must write the session back: new or changed, or its rolling/idle clock has run for
        a quarter of its span (at most a minute) — not on every request, which would re-encrypt and re-send the
        cookie each time."""
        if session.fresh or session.changed:
            return True
        return self._clock() - session.last_seen >= self._save_interval()

    def _save_interval(self) -> float:
        """A quarter of the rolling or idle span, whichever is shorter, at most a minute."""
        spans = [self.options.rolling_timeout]
        if self.options.idling_timeout is not None:
            spans.append(self.options.idling_timeout)
        return min(60.0, *(span / 4 for span in spans))

    def _expiry(self, created_at: float, rolling_expires: float, last_seen: float) -> float:
        until = rolling_expires
        if self.options.idling_timeout is not None:
            until = min(until, last_seen + self.options.idling_timeout)
        if self.options.absolute_timeout is not None:
            until = min(until, created_at + self.options.absolute_timeout)
        return until

    def expires_at(self, session: Session) -> float:
        """When `open` stops accepting this session as it stands (rolling, idle or absolute timeout)."""
        return self._expiry(session.created_at, session.rolling_expires, session.last_seen)

    def next_save_at(self, session: Session) -> float:
        """When `needs_save` turns true for an unchanged session (or it runs out, if that comes first)."""
        return min(self.expires_at(session), session.last_seen + self._save_interval())

    def _ttl(self, session: Session, now: float) -> float:
        limit = session.rolling_expires
        if self.options.absolute_timeout is not None:
            limit = min(limit, session.created_at + self.options.absolute_timeout)
        return max(0.0, limit - now)

    async def save(self, session: Session, *, secure: bool, cookies: Mapping[str, str] | None = None) -> list[str]:
        """Seal the session; returns the Set-Cookie values (stale chunks of a bigger old cookie expired)."""
        now = self._clock()
        session.last_seen = now
        session.rolling_expires = now + self.options.rolling_timeout
        envelope: dict[str, Any] = {
            "v": _VERSION,
            "id": session.id,
            "c": session.created_at,
            "r": session.rolling_expires,
            "l": now,
        }
        ttl = self._ttl(session, now)
        if self._storage is not None:
            await self._storage.store(session.id, session.data, ttl)
        else:
            envelope["d"] = session.data
        sealed = self._codec.seal(envelope, self.options.cookie_name)
        size = self.options.max_chunk_size
        chunks = [sealed[i : i + size] for i in range(0, len(sealed), size)] or [""]
        if len(chunks) > self.options.max_chunks:
            raise ValueError("session is too large for cookies; use session_storage = redis")
        is_secure = self.options.secure if self.options.secure is not None else secure
        max_age = int(ttl)
        headers = []
        for index, chunk in enumerate(chunks, start=1):
            value = f"{len(chunks)}:{chunk}" if index == 1 else chunk
            headers.append(self._cookie(self._chunk_name(index), value, max_age=max_age, secure=is_secure))
        for index in range(len(chunks) + 1, self.options.max_chunks + 1):
            if cookies is not None and self._chunk_name(index) in cookies:
                headers.append(self._cookie(self._chunk_name(index), "", max_age=0, secure=is_secure))
        session.fresh = False
        return headers

    async def destroy(self, session: Session | None, cookies: Mapping[str, str], *, secure: bool) -> list[str]:
        """Forget the session everywhere; returns Set-Cookie values that expire every chunk the client has."""
        if session is not None and self._storage is not None:
            await self._storage.delete(session.id)
        is_secure = self.options.secure if self.options.secure is not None else secure
        names = [self._chunk_name(i) for i in range(1, self.options.max_chunks + 1)]
        present = [n for n in names if n in cookies] or [self.options.cookie_name]
        return [self._cookie(name, "", max_age=0, secure=is_secure) for name in present]
