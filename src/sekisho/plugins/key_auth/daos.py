"""The `keyauth_credentials` entity: API keys belonging to consumers."""

from __future__ import annotations

import secrets

from sekisho.schema import EntitySchema, Foreign, Integer, String, typedefs as t

__all__ = ["KEYAUTH_CREDENTIALS", "MAX_KEY_LENGTH", "generate_key"]

# Longer keys are never stored, so requests carrying one are refused without a lookup (and without filling
# the credential cache with huge negative entries).
MAX_KEY_LENGTH = 1024


def generate_key() -> str:
    """A random key (32 hex characters, 128 bits), like Kong's auto-generated keys."""
    return secrets.token_hex(16)


KEYAUTH_CREDENTIALS = EntitySchema(
    name="keyauth_credentials",
    endpoint_key="key",
    cache_key=("key",),
    admin_path="key-auths",
    admin_nested_path="key-auth",
    generators={"key": generate_key},
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "consumer": Foreign(
            "consumers", required=True, on_delete="cascade", description="The consumer this key belongs to."
        ),
        "key": String(
            unique=True,
            auto=True,
            secret=True,
            len_min=1,
            len_max=MAX_KEY_LENGTH,
            description="The API key; a random one is generated when none is given.",
        ),
        "ttl": Integer(
            between=(0, 100_000_000),
            description="Seconds after creation when the key stops being accepted (unset: never expires).",
        ),
        "tags": t.tags(),
    },
)
