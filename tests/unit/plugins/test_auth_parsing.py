"""Basic credentials parsing, argon2 password checks and key expiry."""

from __future__ import annotations

import base64

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
