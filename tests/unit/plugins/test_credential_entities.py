"""The entities auth plugins own: Kong's names, keys, admin paths and write-time behaviour."""

from __future__ import annotations

import pytest

from sekisho.entities import EntityRegistry
from sekisho.errors import SchemaViolation
from sekisho.plugins.basic_auth.passwords import verify_password

CONSUMER = {"id": "4f1d2c1e-8d3c-4a57-9f31-3f2a1c0b9e11"}


def test_key_auth_credentials_generate_a_key_when_absent(registry: EntityRegistry) -> None:
    schema = registry["keyauth_credentials"]
    first = schema.insert({"consumer": CONSUMER})
    second = schema.insert({"consumer": CONSUMER})
    assert len(first["key"]) == 32 and first["key"] != second["key"]
    assert schema.insert({"consumer": CONSUMER, "key": "my-key"})["key"] == "my-key"
    assert (schema.path, schema.admin_nested_path, schema.endpoint_key) == ("key-auths", "key-auth", "key")
    assert schema.cache_key == ("key",)
    assert [key.fields for key in schema.unique_keys()] == [("key",)]  # one constraint, not two


def test_key_auth_keys_are_bounded(registry: EntityRegistry) -> None:
    with pytest.raises(SchemaViolation) as info:
        registry["keyauth_credentials"].insert({"consumer": CONSUMER, "key": "k" * 1025})
    assert info.value.fields == {"key": "length must be at most 1024"}


def test_key_auth_credentials_need_a_consumer(registry: EntityRegistry) -> None:
    with pytest.raises(SchemaViolation) as info:
        registry["keyauth_credentials"].insert({"key": "k"})
    assert info.value.fields == {"consumer": "required field missing"}


def test_basic_auth_passwords_are_stored_hashed(registry: EntityRegistry) -> None:
    schema = registry["basicauth_credentials"]
    row = schema.insert({"consumer": CONSUMER, "username": "alice", "password": "s3cret"})
    assert row["password"].startswith("$argon2id$") and "s3cret" not in row["password"]
    assert verify_password(row["password"], "s3cret") and not verify_password(row["password"], "S3cret")
    # Re-importing an exported row keeps the hash instead of hashing it again.
    again = schema.insert(dict(row))
    assert again["password"] == row["password"]
    patched = schema.update(row, {"password": "other"})
    assert verify_password(patched["password"], "other")
    assert schema.update(row, {"username": "alice2"})["password"] == row["password"]
    assert (schema.path, schema.admin_nested_path, schema.endpoint_key) == ("basic-auths", "basic-auth", "username")


def test_basic_auth_password_errors(registry: EntityRegistry) -> None:
    schema = registry["basicauth_credentials"]
    with pytest.raises(SchemaViolation) as info:
        schema.insert({"consumer": CONSUMER, "username": "bob", "password": 12})
    assert info.value.fields == {"password": "expected a string"}
    with pytest.raises(SchemaViolation) as info:
        schema.insert({"consumer": CONSUMER, "username": "bob"})
    assert info.value.fields == {"password": "required field missing"}
    with pytest.raises(SchemaViolation) as info:
        schema.insert({"consumer": CONSUMER, "username": "bob", "password": ""})
    assert info.value.fields == {"password": "length must be at least 1"}


def test_acls_are_unique_per_consumer_and_group(registry: EntityRegistry) -> None:
    schema = registry["acls"]
    row = schema.insert({"consumer": CONSUMER, "group": "admins"})
    assert row["group"] == "admins" and row["tags"] is None
    assert schema.cache_key == ("consumer", "group")
    assert (schema.path, schema.admin_nested_path, schema.admin_nested_key) == ("acls", "acls", "group")
    assert any(key.fields == ("consumer", "group") for key in schema.unique_keys())
