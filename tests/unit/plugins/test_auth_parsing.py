"""Basic credentials parsing, argon2 password checks and key expiry."""

from __future__ import annotations

import asyncio
import base64

import pytest

from sekisho.plugins.basic_auth import handler as basic_auth_handler
from sekisho.plugins.basic_auth.handler import parse_basic_authorization
from sekisho.plugins.basic_auth.passwords import hash_password, verify_password
from sekisho.plugins.key_auth.handler import credential_expired


def _basic(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()


def test_basic_header_parsing() -> None:
    assert parse_basic_authorization(_basic("alice:pa:ss")) == ("alice", "pa:ss")
    assert parse_basic_authorization(_basic("alice:")) == ("alice", "")
    assert parse_basic_authorization("basic " + base64.b64encode(b"bob:x").decode()) == ("bob", "x")
    assert parse_basic_authorization(_basic("no-colon")) is None
    assert parse_basic_authorization(_basic(":nouser")) is None
    assert parse_basic_authorization("Bearer abc") is None
    assert parse_basic_authorization("Basic !!!notbase64") is None
    assert parse_basic_authorization(None) is None


def test_passwords_verify_only_against_their_hash() -> None:
    stored = hash_password("correct horse")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horse ")
    assert not verify_password("plain-text-is-never-accepted", "plain-text-is-never-accepted")
    assert not verify_password(stored, "x" * 5000)


def test_keys_with_ttl_expire() -> None:
    assert not credential_expired({"created_at": 1000, "ttl": None}, now=10**9)
    assert not credential_expired({"created_at": 1000, "ttl": 60}, now=1059)
    assert credential_expired({"created_at": 1000, "ttl": 60}, now=1060)


def test_oversized_usernames_are_not_looked_up() -> None:
    assert parse_basic_authorization(_basic("u" * 513 + ":pw")) is None
    assert parse_basic_authorization(_basic("u" * 512 + ":pw")) == ("u" * 512, "pw")


async def test_uncached_password_checks_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(basic_auth_handler, "_MAX_PENDING_CHECKS", 2)
    verified = basic_auth_handler._VerifiedPasswords()
    stored = hash_password("right")
    try:
        results = await asyncio.gather(*(verified.verify(stored, "right") for _ in range(5)))
        assert results.count(True) == 2 and results.count(False) == 3  # the flood beyond two is refused
        assert await verified.verify(stored, "right")  # remembered now: no check needed
        assert not await verified.verify(stored, "wrong")
    finally:
        verified.close()
