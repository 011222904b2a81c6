"""`basic-auth`: authenticate a consumer by HTTP Basic credentials (`Authorization` or `Proxy-Authorization`)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.basic_auth.daos import BASICAUTH_CREDENTIALS, MAX_USERNAME_LENGTH
from sekisho.plugins.basic_auth.passwords import hash_password, verify_password
from sekisho.plugins.basic_auth.schema import CONFIG

__all__ = ["BasicAuthConf", "Handler", "parse_basic_authorization"]

ERR_UNAUTHORIZED = "Unauthorized"
ERR_INVALID_AUTH_CRED = "Invalid authentication credentials"

_BASIC = re.compile(r"\s*[Bb]asic\s*(.+)")
_VERIFIED_CACHE_SIZE = 10_000
_MAX_PENDING_CHECKS = 256


@functools.cache
def _decoy_hash() -> str:
    """A hash no password anyone can send matches (made on first use, not at import)."""
    return hash_password(secrets.token_urlsafe(24))


@dataclass(frozen=True, slots=True)
class BasicAuthConf:
    anonymous: str | None
    hide_credentials: bool
    www_authenticate: str


def parse_basic_authorization(value: str | None) -> tuple[str, str] | None:
    """`Basic base64(username:password)` → (username, password); None when absent or malformed."""
    if not value:
        return None
    match = _BASIC.match(value)
    if match is None:
        return None
    try:
        decoded = base64.b64decode(match.group(1).strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username or len(username) > MAX_USERNAME_LENGTH:
        return None
    return username, password


class _VerifiedPasswords:
    """Remembers successful (hash, password) checks so argon2 runs once per credential, not per request.

    Keys are HMACs under a per-process random key; a changed password changes the stored hash, so stale
    entries can never match. Checks run on this plugin's own threads (never the loop's default executor,
    which DNS resolution and other I/O share), and a flood of them is refused rather than queued forever."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._executor: ThreadPoolExecutor | None = None
        self._pending = 0

    def _digest(self, stored_hash: str, password: str) -> bytes:
        return hmac.new(self._key, stored_hash.encode() + b"\0" + password.encode(), hashlib.sha256).digest()

    async def verify(self, stored_hash: str, password: str) -> bool:
        digest = self._digest(stored_hash, password)
        if digest in self._seen:
            self._seen.move_to_end(digest)
            return True
        if self._pending >= _MAX_PENDING_CHECKS:
            return False  # fail closed under a flood of uncached checks
        if self._executor is None:
            workers = max(1, (os.cpu_count() or 2) // 2)
            self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="basic-auth")
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            if not await loop.run_in_executor(self._executor, verify_password, stored_hash, password):
                return False
        finally:
            self._pending -= 1
        self._seen[digest] = None
        if len(self._seen) > _VERIFIED_CACHE_SIZE:
            self._seen.popitem(last=False)
        return True

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


class Handler(Plugin[BasicAuthConf]):
    NAME = "basic-auth"
    PRIORITY = 1100
    VERSION = "3.4.0"
    CONFIG = CONFIG
    DAOS = (BASICAUTH_CREDENTIALS,)
    NO_CONSUMER = True

    def __init__(self) -> None:
        self._verified = _VerifiedPasswords()

    async def close(self) -> None:
        """Stop the password-check threads (the worker is stopping)."""
        self._verified.close()

    def prepare(self, config: Mapping[str, Any]) -> BasicAuthConf:
        return BasicAuthConf(
            anonymous=config.get("anonymous") or None,
            hide_credentials=bool(config["hide_credentials"]),
            www_authenticate=f'Basic realm="{config.get("realm") or "service"}"',
        )

    async def access(self, kong: PDK, conf: BasicAuthConf) -> None:
        if conf.anonymous is not None and kong.client.get_credential() is not None:
            return  # logical OR between auth plugins: another one already authenticated this request
        failure = await self._authenticate(kong, conf)
        if failure is None:
            return
        if conf.anonymous is None:
            kong.response.error(401, failure, {"WWW-Authenticate": conf.www_authenticate})
        consumer = await kong.client.load_consumer(conf.anonymous, True)
        if consumer is None:
            message = f"anonymous consumer {conf.anonymous} is configured but doesn't exist"
            kong.log.err(message)
            kong.response.error(500, message)
        kong.client.authenticate_anonymous(consumer)

    async def _authenticate(self, kong: PDK, conf: BasicAuthConf) -> str | None:
        """None on success, else the 401 message."""
        authorization = kong.request.get_header("authorization")
        proxy_authorization = kong.request.get_header("proxy-authorization")
        if not authorization and not proxy_authorization:
            return ERR_UNAUTHORIZED
        if conf.hide_credentials:
            kong.service.request.clear_header("authorization")
            kong.service.request.clear_header("proxy-authorization")
        credential: dict[str, Any] | None = None
        given = parse_basic_authorization(proxy_authorization)
        if given is not None:
            credential = await _load_credential(kong, given[0])
        if credential is None:
            given = parse_basic_authorization(authorization)
            if given is None:
                return ERR_INVALID_AUTH_CRED
            credential = await _load_credential(kong, given[0])
        if given is None:
            return ERR_INVALID_AUTH_CRED
        if credential is None:
            # Spend the same time as a wrong password, so response times do not reveal which usernames exist.
            await self._verified.verify(_decoy_hash(), given[1])
            return ERR_INVALID_AUTH_CRED
        stored = credential.get("password")
        if not isinstance(stored, str) or not await self._verified.verify(stored, given[1]):
            return ERR_INVALID_AUTH_CRED
        consumer_id = (credential.get("consumer") or {}).get("id")
        consumer = await kong.client.load_consumer(consumer_id) if isinstance(consumer_id, str) else None
        if consumer is None:
            return ERR_INVALID_AUTH_CRED
        # The hash stays here: later plugins and log serializers see the credential without it.
        kong.client.authenticate(consumer, {k: v for k, v in credential.items() if k != "password"})
        kong.service.request.set_header("X-Credential-Identifier", given[0])  # Kong: the username, not the id
        return None


async def _load_credential(kong: PDK, username: str) -> dict[str, Any] | None:
    async def load() -> dict[str, Any] | None:
        return await kong.db("basicauth_credentials").select_by("username", username)

    credential = await kong.cache.get(("basicauth_credentials", username), load)
    return credential if isinstance(credential, dict) else None
