"""Content permissions (Kong's `readable_by`): None = public, `"*"` = any approved developer, a list of
role names = approved developers holding one of them. Ignored when the portal has no auth (public portal)."""

from __future__ import annotations

from typing import Any, Literal

from sekisho.errors import SchemaViolation
from sekisho.store.base import Database, Row

__all__ = ["Access", "access_for", "check_roles_exist", "readable_roles"]

Access = Literal["ok", "login", "forbidden"]


def readable_roles(readable_by: Any) -> list[str] | None:
    """The role names a `readable_by` value lists (None for public or `"*"`)."""
    if isinstance(readable_by, str) and readable_by != "*":
        return [readable_by]
    if isinstance(readable_by, list):
        return [str(r) for r in readable_by if r != "*"]
    return None


def access_for(readable_by: Any, *, auth: str | None, developer: Row | None, approved: bool) -> Access:
    if readable_by is None or readable_by == [] or not auth:
        return "ok"
    if developer is None:
        return "login"
    if not approved:
        return "forbidden"
    if readable_by == "*" or (isinstance(readable_by, list) and "*" in readable_by):
        return "ok"
    wanted = set(readable_roles(readable_by) or [])
    return "ok" if wanted & set(developer.get("roles") or []) else "forbidden"


async def check_roles_exist(db: Database, roles: Any, field: str) -> None:
    """Refuse unknown role names (Kong: setting a nonexistent role is an error)."""
    for name in roles or []:
        if await db.select_by("developer_roles", "name", name) is None:
            raise SchemaViolation({field: f"role '{name}' does not exist"})
