"""Developers: each one is a consumer of type 1 whose `username` is the developer's email."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sekisho.errors import ErrorCode, SchemaViolation, StoreError
from sekisho.portal.entities import CONSUMER_TYPE_DEVELOPER, DEVELOPERS
from sekisho.portal.permissions import check_roles_exist
from sekisho.portal.statuses import DeveloperStatus
from sekisho.store.base import Database, Row

__all__ = [
    "create_developer",
    "delete_developer",
    "developer_for_consumer",
    "find_developer",
    "normalize_email",
    "remove_role",
    "rename_role",
    "update_developer",
]

_CREATE_FIELDS = frozenset({"email", "meta", "status", "custom_id", "id", "password", "key", "tags", "roles"})
_UPDATE_FIELDS = frozenset({"email", "meta", "status", "custom_id", "tags", "roles"})


def normalize_email(value: Any) -> Any:
    """Emails compare case-insensitively: stored lower-cased (IdPs such as Cognito lower-case them too)."""
    return value.strip().lower() if isinstance(value, str) else value


def _meta_text(value: Any) -> Any:
    """`meta` is JSON text in Kong; an object given by a JSON client is accepted and serialized."""
    if isinstance(value, Mapping):
        return json.dumps(dict(value), separators=(",", ":"))
    return value


async def find_developer(db: Database, ident: str) -> Row | None:
    """By id or by email."""
    row = await db.select("developers", ident)
    if row is None and "@" in ident:
        row = await db.select_by("developers", "email", normalize_email(ident))
    return row


async def developer_for_consumer(db: Database, consumer: Mapping[str, Any] | None) -> Row | None:
    """The developer an authenticated consumer stands for (it must be a type-1 consumer)."""
    if not consumer or consumer.get("type") != CONSUMER_TYPE_DEVELOPER or not consumer.get("username"):
        return None
    row = await db.select_by("developers", "email", normalize_email(consumer["username"]))
    if row is None or (row.get("consumer") or {}).get("id") != consumer.get("id"):
        return None
    return row


def _unknown_fields(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = {name: "unknown field" for name in data if name not in allowed}
    if unknown:
        raise SchemaViolation(unknown)


async def create_developer(
    db: Database, data: Mapping[str, Any], *, default_status: DeveloperStatus = DeveloperStatus.PENDING
) -> Row:
    """Create the consumer, the developer and its login credential (`password` or `key`) in that order,
    undoing what was created when a later step fails."""
    _unknown_fields(data, _CREATE_FIELDS)
    email = normalize_email(data.get("email"))
    fields: dict[str, Any] = {
        "email": email,
        "meta": _meta_text(data.get("meta")),
        "status": data.get("status", int(default_status)),
        "custom_id": data.get("custom_id"),
        "tags": data.get("tags"),
        "roles": data.get("roles"),
        "consumer": {"id": "00000000-0000-4000-8000-000000000000"},
    }
    if data.get("id") is not None:
        fields["id"] = data["id"]
    DEVELOPERS.insert(fields)  # validate before anything is written
    await check_roles_exist(db, fields["roles"], "roles")
    if await db.select_by("developers", "email", email) is not None:
        raise StoreError(
            ErrorCode.UNIQUE_VIOLATION,
            f"UNIQUE violation detected on '{{email=\"{email}\"}}'",
            {"email": f"already exists with value '{email}'"},
        )
    existing_consumer = await db.select_by("consumers", "username", email)
    if existing_consumer is not None:
        raise StoreError(
            ErrorCode.UNIQUE_VIOLATION,
            f"UNIQUE violation detected on '{{username=\"{email}\"}}'",
            {"email": f"a consumer with username '{email}' already exists"},
        )
    consumer = await db.insert("consumers", {"username": email, "type": CONSUMER_TYPE_DEVELOPER})
    try:
        fields["consumer"] = {"id": consumer["id"]}
        developer = await db.insert("developers", fields)
        if data.get("password") is not None:
            await db.insert(
                "basicauth_credentials",
                {"consumer": {"id": consumer["id"]}, "username": email, "password": data["password"]},
            )
        if data.get("key") is not None:
            await db.insert("keyauth_credentials", {"consumer": {"id": consumer["id"]}, "key": data["key"]})
    except BaseException:
        await db.delete("consumers", consumer["id"])
        raise
    return developer


async def update_developer(db: Database, developer: Row, patch: Mapping[str, Any]) -> Row:
    """PATCH `email`, `meta`, `status`, `custom_id`; an email change renames its consumer and basic-auth login."""
    _unknown_fields(patch, _UPDATE_FIELDS)
    changes = dict(patch)
    if "meta" in changes:
        changes["meta"] = _meta_text(changes["meta"])
    new_email = normalize_email(changes.get("email"))
    if new_email is not None:
        changes["email"] = new_email
    if isinstance(changes.get("roles"), list):
        await check_roles_exist(db, changes["roles"], "roles")
    updated = await db.update("developers", developer["id"], changes)
    if "status" in changes and updated["status"] != DeveloperStatus.APPROVED:
        await _revoke_application_keys(db, developer)
    if new_email is not None and new_email != developer["email"]:
        consumer_id = developer["consumer"]["id"]
        await db.update("consumers", consumer_id, {"username": new_email})
        if "basicauth_credentials" in db.registry:
            page = await db.page("basicauth_credentials", foreign={"consumer": consumer_id})
            for credential in page.data:
                await db.update("basicauth_credentials", credential["id"], {"username": new_email})
    return updated


async def _revoke_application_keys(db: Database, developer: Row) -> None:
    """A developer who is no longer approved loses API access at once: its applications' keys are deleted
    (new ones can be issued after a new approval)."""
    page = await db.page("applications", foreign={"developer": developer["id"]}, size=1000)
    for app in page.data:
        keys = await db.page("keyauth_credentials", foreign={"consumer": app["consumer"]["id"]}, size=1000)
        for key in keys.data:
            await db.delete("keyauth_credentials", key["id"])


async def delete_developer(db: Database, developer: Row) -> None:
    """Delete its applications' consumers, then its own consumer (which cascades to the developer)."""
    offset: str | None = None
    while True:
        page = await db.page("applications", foreign={"developer": developer["id"]}, size=1000, offset=offset)
        for app in page.data:
            await db.delete("consumers", app["consumer"]["id"])
        if page.offset is None:
            break
        offset = page.offset
    await db.delete("consumers", developer["consumer"]["id"])


async def remove_role(db: Database, name: str) -> None:
    """Take a deleted role away from every developer holding it."""
    for developer in await db.all("developers"):
        roles = developer.get("roles") or []
        if name in roles:
            await db.update("developers", developer["id"], {"roles": [r for r in roles if r != name]})


async def rename_role(db: Database, old: str, new: str) -> None:
    for developer in await db.all("developers"):
        roles = developer.get("roles") or []
        if old in roles:
            await db.update("developers", developer["id"], {"roles": [new if r == old else r for r in roles]})
