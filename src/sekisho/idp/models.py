"""Cognito-shaped records and pure helpers over them.

Pools, clients, users and groups are stored in the shape the API returns them (so Describe*/Get* echo them
back), plus private fields whose names start with `_` that never leave the IdP.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "STANDARD_ATTRIBUTES",
    "attribute_map",
    "public_user",
    "readable_attributes",
    "required_attributes",
    "set_attributes",
    "user_key",
    "uses_email_as_username",
]

Pool = dict[str, Any]
Client = dict[str, Any]
User = dict[str, Any]

STANDARD_ATTRIBUTES: tuple[str, ...] = (
    "address",
    "birthdate",
    "email",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
)
VERIFIED_FLAGS = ("email_verified", "phone_number_verified")


def user_key(pool: Pool, username: str) -> str:
    case_sensitive = pool.get("UsernameConfiguration", {}).get("CaseSensitive", True)
    return username if case_sensitive else username.lower()


def uses_email_as_username(pool: Pool) -> bool:
    return "email" in (pool.get("UsernameAttributes") or [])


def required_attributes(pool: Pool) -> list[str]:
    return [a["Name"] for a in pool.get("SchemaAttributes", []) if a.get("Required")]


def attribute_map(user: User) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.get("Attributes", [])}


def set_attributes(user: User, updates: dict[str, str]) -> None:
    current = attribute_map(user)
    current.update(updates)
    user["Attributes"] = [{"Name": k, "Value": v} for k, v in current.items()]


def public_user(user: User) -> User:
    return {k: v for k, v in user.items() if not k.startswith("_")}


def readable_attributes(client: Client) -> set[str] | None:
    """The attributes a client may read; None means Cognito's default (all standard + verified flags)."""
    read = client.get("ReadAttributes")
    if not read:
        return None
    return set(read)


def can_read(client: Client, name: str) -> bool:
    read = readable_attributes(client)
    if read is None:
        return name in STANDARD_ATTRIBUTES or name in VERIFIED_FLAGS or name == "sub"
    return name in read or name == "sub"
