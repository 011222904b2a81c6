"""`key-auth`: authenticate a consumer by an API key in a header, the query string or the body."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.key_auth.daos import KEYAUTH_CREDENTIALS, MAX_KEY_LENGTH
from sekisho.plugins.key_auth.schema import CONFIG

__all__ = ["Handler", "KeyAuthConf"]

ERR_DUPLICATE_API_KEY = "Duplicate API key found"
ERR_NO_API_KEY = "No API key found in request"
ERR_INVALID_AUTH_CRED = "Invalid authentication credentials"
ERR_UNEXPECTED = "An unexpected error occurred"


@dataclass(frozen=True, slots=True)
class KeyAuthConf:
    key_names: tuple[str, ...]
    hide_credentials: bool
    anonymous: str | None
    key_in_header: bool
    key_in_query: bool
    key_in_body: bool
    run_on_preflight: bool
    www_authenticate: str


@dataclass(frozen=True, slots=True)
class _Failure:
    status: int
    message: str
    headers: Mapping[str, str] | None = None


def credential_expired(credential: Mapping[str, Any], now: float) -> bool:
    """Kong keeps keys with a `ttl` only until `created_at + ttl`."""
    ttl = credential.get("ttl")
    created_at = credential.get("created_at")
    if not isinstance(ttl, int) or not isinstance(created_at, int | float):
        return False
    return created_at + ttl <= now


class Handler(Plugin[KeyAuthConf]):
    NAME = "key-auth"
    PRIORITY = 1250
    VERSION = "3.4.0"
    CONFIG = CONFIG
    DAOS = (KEYAUTH_CREDENTIALS,)
    NO_CONSUMER = True

    def prepare(self, config: Mapping[str, Any]) -> KeyAuthConf:
        realm = config.get("realm")
        return KeyAuthConf(
            key_names=tuple(config["key_names"]),
            hide_credentials=bool(config["hide_credentials"]),
            anonymous=config.get("anonymous") or None,
            key_in_header=bool(config["key_in_header"]),
            key_in_query=bool(config["key_in_query"]),
            key_in_body=bool(config["key_in_body"]),
            run_on_preflight=bool(config["run_on_preflight"]),
            www_authenticate=f'Key realm="{realm if realm is not None else "kong"}"',
        )

    async def access(self, kong: PDK, conf: KeyAuthConf) -> None:
        if not conf.run_on_preflight and kong.request.get_method() == "OPTIONS":
            return
        if conf.anonymous is not None:
            # Logical OR between auth plugins: another one already authenticated this request.
            if kong.client.get_credential() is not None:
                return
            if await self._authenticate(kong, conf) is not None:
                await _authenticate_anonymous(kong, conf.anonymous)
            return
        failure = await self._authenticate(kong, conf)
        if failure is not None:
            kong.response.error(failure.status, failure.message, failure.headers)

    def try_access(self, kong: PDK, conf: KeyAuthConf) -> bool:
        """A key in a header or the query whose credential and consumer are cached: no coroutine needed.
        Everything else (no key, unknown key, body keys, anonymous) goes through `access`."""
        if conf.key_in_body or conf.anonymous is not None:
            return False
        if not conf.run_on_preflight and kong.request.get_method() == "OPTIONS":
            return True
        found_name: str | None = None
        key: Any = None
        for name, value in _header_or_query_values(kong, conf):
            if value is not None:
                found_name, key = name, value
                break
        if found_name is None or not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            return False
        cached, credential = kong.cache.peek(("keyauth_credentials", key))
        if not cached or not isinstance(credential, dict) or credential_expired(credential, time.time()):
            return False
        consumer_id = (credential.get("consumer") or {}).get("id")
        if not isinstance(consumer_id, str):
            return False
        cached, consumer = kong.client.peek_consumer(consumer_id)
        if not cached or consumer is None:
            return False
        if conf.hide_credentials:
            _hide_key_in_header_or_query(kong, found_name)
        kong.client.authenticate(consumer, credential)
        return True

    async def _authenticate(self, kong: PDK, conf: KeyAuthConf) -> _Failure | None:
        unauthorized = {"WWW-Authenticate": conf.www_authenticate}
        body: dict[str, Any] | None = None
        key: str | None = None
        for name, value in _header_or_query_values(kong, conf):
            if value is None and conf.key_in_body:
                if body is None:
                    body = await _read_body(kong)
                value = body.get(name)
            if isinstance(value, list):
                return _Failure(401, ERR_DUPLICATE_API_KEY, unauthorized)
            if isinstance(value, str):
                key = value
                if conf.hide_credentials:
                    await _hide_key(kong, conf, name)
                break
        if not key:
            return _Failure(401, ERR_NO_API_KEY, unauthorized)
        if len(key) > MAX_KEY_LENGTH:
            return _Failure(401, ERR_INVALID_AUTH_CRED, unauthorized)

        async def load_credential() -> dict[str, Any] | None:
            return await kong.db("keyauth_credentials").select_by("key", key)

        credential = await kong.cache.get(("keyauth_credentials", key), load_credential)
        if not isinstance(credential, dict) or credential_expired(credential, time.time()):
            return _Failure(401, ERR_INVALID_AUTH_CRED, unauthorized)
        consumer_id = (credential.get("consumer") or {}).get("id")
        # kong.client.load_consumer goes through the node cache itself.
        consumer = await kong.client.load_consumer(consumer_id) if isinstance(consumer_id, str) else None
        if consumer is None:
            kong.log.err("key-auth credential ", credential.get("id"), " has no consumer")
            return _Failure(401, ERR_INVALID_AUTH_CRED, unauthorized)
        kong.client.authenticate(consumer, credential)
        return None


def _header_or_query_values(kong: PDK, conf: KeyAuthConf) -> Iterator[tuple[str, Any]]:
    """(key name, its value in a header, else in the query string, else None), name by name in order."""
    headers = kong.request.get_headers() if conf.key_in_header else {}
    query: Mapping[str, Any] | None = None if conf.key_in_query else {}
    for name in conf.key_names:
        value: Any = headers.get(name.lower())
        if value is None:
            if query is None:
                query = kong.request.get_query()  # parsed only when no header carried the key
            value = query.get(name)
        yield name, value


async def _authenticate_anonymous(kong: PDK, anonymous: str) -> None:
    consumer = await kong.client.load_consumer(anonymous, True)
    if consumer is None:
        message = f"anonymous consumer {anonymous} is configured but doesn't exist"
        kong.log.err(message)
        kong.response.error(500, message)
    kong.client.authenticate_anonymous(consumer)


async def _read_body(kong: PDK) -> dict[str, Any]:
    args, err, _mimetype = await kong.request.get_body()
    if err is not None or not isinstance(args, dict):
        kong.log.info("Cannot process request body: ", err)
        return {}
    return args


def _hide_key_in_header_or_query(kong: PDK, name: str) -> None:
    kong.service.request.clear_header(name)
    pairs = parse_qsl(kong.service.request.get_raw_query(), keep_blank_values=True)
    if any(key == name for key, _ in pairs):
        kong.service.request.set_raw_query(urlencode([(k, v) for k, v in pairs if k != name]))


async def _hide_key(kong: PDK, conf: KeyAuthConf, name: str) -> None:
    _hide_key_in_header_or_query(kong, name)
    if not conf.key_in_body:
        return
    args, err, mimetype = await kong.request.get_body()
    if err is not None or not isinstance(args, dict) or name not in args:
        return
    remaining = {k: v for k, v in args.items() if k != name}
    if mimetype == "application/json":
        kong.service.request.set_raw_body(json.dumps(remaining, separators=(",", ":")).encode())
    elif mimetype == "application/x-www-form-urlencoded":
        kong.service.request.set_raw_body(urlencode(remaining, doseq=True).encode())
    else:
        kong.log.warn("cannot remove the key from a ", mimetype, " body")
