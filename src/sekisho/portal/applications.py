"""Developer applications: each one is a consumer of type 3 holding key-auth credentials (its API keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sekisho.errors import ErrorCode, SchemaViolation, StoreError
from sekisho.portal.entities import APPLICATIONS, CONSUMER_TYPE_APPLICATION
from sekisho.store.base import Database, Row

__all__ = [
    "MAX_APPLICATIONS",
    "MAX_KEYS",
    "application_keys",
    "create_application",
    "delete_application",
    "delete_key",
    "find_application",
    "issue_key",
    "list_applications",
    "rotate_key",
    "update_application",
]

MAX_APPLICATIONS = 100
MAX_KEYS = 10
_FIELDS = frozenset({"name", "description", "redirect_uri", "custom_id", "meta"})


def _unknown(data: Mapping[str, Any]) -> None:
    unknown = {name: "unknown field" for name in data if name not in _FIELDS}
    if unknown:
        raise SchemaViolation(unknown)


async def list_applications(db: Database, developer: Row) -> list[Row]:
    page = await db.page("applications", foreign={"developer": developer["id"]}, size=MAX_APPLICATIONS)
    return page.data


async def find_application(db: Database, developer: Row, app_id: str) -> Row | None:
    """The application, only when it belongs to `developer`."""
    row = await db.select("applications", app_id) if _is_uuid(app_id) else None
    if row is None or row["developer"]["id"] != developer["id"]:
        return None
    return row


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def create_application(db: Database, developer: Row, data: Mapping[str, Any]) -> tuple[Row, Row]:
    """Create the app's consumer, the app and its first API key; returns (application, credential)."""
    _unknown(data)
    name = data.get("name")
    fields: dict[str, Any] = {
        **{k: data.get(k) for k in _FIELDS},
        "developer": {"id": developer["id"]},
        "consumer": {"id": "00000000-0000-4000-8000-000000000000"},
    }
    APPLICATIONS.insert(fields)  # validate first
    existing = await list_applications(db, developer)
    if any(app["name"] == name for app in existing):
        raise StoreError(
            ErrorCode.UNIQUE_VIOLATION,
            f'UNIQUE violation detected on \'{{developer={{id="{developer["id"]}"}},name="{name}"}}\'',
            {"name": f"an application named '{name}' already exists"},
        )
    if len(existing) >= MAX_APPLICATIONS:
        raise SchemaViolation({"@entity": [f"at most {MAX_APPLICATIONS} applications per developer"]})
    consumer = await db.insert(
        "consumers", {"username": f"{developer['id']}_{name}", "type": CONSUMER_TYPE_APPLICATION}
    )
    try:
        fields["consumer"] = {"id": consumer["id"]}
        app = await db.insert("applications", fields)
        credential = await db.insert("keyauth_credentials", {"consumer": {"id": consumer["id"]}})
    except BaseException:
        await db.delete("consumers", consumer["id"])
        raise
    return app, credential


async def update_application(db: Database, app: Row, patch: Mapping[str, Any]) -> Row:
    _unknown(patch)
    return await db.update("applications", app["id"], dict(patch))


async def delete_application(db: Database, app: Row) -> None:
    await db.delete("consumers", app["consumer"]["id"])  # cascades to the app and its keys


async def application_keys(db: Database, app: Row) -> list[Row]:
    page = await db.page("keyauth_credentials", foreign={"consumer": app["consumer"]["id"]}, size=MAX_KEYS + 1)
    return page.data


async def issue_key(db: Database, app: Row) -> Row:
    if len(await application_keys(db, app)) >= MAX_KEYS:
        raise SchemaViolation({"@entity": [f"at most {MAX_KEYS} keys per application"]})
    return await db.insert("keyauth_credentials", {"consumer": {"id": app["consumer"]["id"]}})


async def _own_key(db: Database, app: Row, key_id: str) -> Row | None:
    row = await db.select("keyauth_credentials", key_id) if _is_uuid(key_id) else None
    if row is None or row["consumer"]["id"] != app["consumer"]["id"]:
        return None
    return row


async def delete_key(db: Database, app: Row, key_id: str) -> bool:
    row = await _own_key(db, app, key_id)
    if row is None:
        return False
    await db.delete("keyauth_credentials", row["id"])
    return True


async def rotate_key(db: Database, app: Row, key_id: str) -> Row | None:
    """Issue a new key, then delete the old one; None when `key_id` is not one of the app's keys."""
    old = await _own_key(db, app, key_id)
    if old is None:
        return None
    new = await db.insert("keyauth_credentials", {"consumer": {"id": app["consumer"]["id"]}})
    await db.delete("keyauth_credentials", old["id"])
    return new
