"""The `basicauth_credentials` entity: username/password pairs belonging to consumers."""

from __future__ import annotations

from typing import Any

from sekisho.plugins.basic_auth.passwords import MAX_PASSWORD_LENGTH, hash_password
from sekisho.schema import EntitySchema, Foreign, String, typedefs as t

__all__ = ["BASICAUTH_CREDENTIALS", "MAX_USERNAME_LENGTH"]

# Longer usernames are never stored, so requests carrying one are refused without a lookup.
MAX_USERNAME_LENGTH = 512


def _hash_on_write(value: Any) -> dict[str, Any]:
    # Values that are not a usable password are left for the field itself to report.
    if not isinstance(value, str) or not value or len(value) > MAX_PASSWORD_LENGTH:
        return {"password": value}
    return {"password": hash_password(value)}


BASICAUTH_CREDENTIALS = EntitySchema(
    name="basicauth_credentials",
    endpoint_key="username",
    cache_key=("username",),
    admin_path="basic-auths",
    admin_nested_path="basic-auth",
    # Runs on every write that carries a password, so only hashes are ever stored or returned.
    shorthands={"password": _hash_on_write},
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "consumer": Foreign(
            "consumers", required=True, on_delete="cascade", description="The consumer this credential belongs to."
        ),
        "username": String(
            required=True,
            unique=True,
            len_min=1,
            len_max=MAX_USERNAME_LENGTH,
            description="The username to authenticate with.",
        ),
        "password": String(
            required=True,
            len_min=1,
            len_max=MAX_PASSWORD_LENGTH,
            secret=True,
            description="The password; stored as an argon2id hash (Kong stores a salted SHA-1).",
        ),
        "tags": t.tags(),
    },
)
