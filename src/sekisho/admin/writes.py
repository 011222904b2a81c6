"""Entity writes from the Admin API, with Kong's DB-less behaviour: in read-only mode the request is still
validated (400 comes before 405, missing rows still 404) and then refused with Kong's exact message.

The order lives here rather than in `EntityDatabase` because the store's own contract (tests/unit/store) is
to refuse every DB-less write outright, missing rows and invalid data included."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from sekisho.errors import ErrorCode, StoreError
from sekisho.schema import EntitySchema
from sekisho.store.base import Database, Row

__all__ = ["EntityWriter", "is_uuid"]

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(value: str) -> bool:
    return _UUID_RE.match(value) is not None


def _unsupported(operation: str, schema: EntitySchema, ident: str | None = None) -> StoreError:
    if ident is not None and not is_uuid(ident) and schema.endpoint_key is not None:
        message = f"cannot {operation} '{schema.name}' entities by '{schema.endpoint_key}' when not using a database"
    else:
        message = f"cannot {operation} '{schema.name}' entities when not using a database"
    return StoreError(ErrorCode.OPERATION_UNSUPPORTED, message)


def _not_found(schema: EntitySchema, ident: str) -> StoreError:
    """Kong's `not_found` / `not_found_by_field`: the key is both in the message and in `fields`."""
    if is_uuid(ident) or schema.endpoint_key is None:
        key, prefix = "id", "primary key "
    else:
        key, prefix = schema.endpoint_key, ""
    message = f"could not find the entity with {prefix}'{{{key}=\"{ident}\"}}'"
    return StoreError(ErrorCode.NOT_FOUND, message, {key: ident})


class EntityWriter:
    """Insert, update, upsert and delete through the `Database`, or refuse them the DB-less way."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, schema: EntitySchema, data: Mapping[str, Any]) -> Row:
        if self.db.read_only:
            schema.insert(await self._comparable(schema, data))
            raise _unsupported("create", schema)
        return await self.db.insert(schema.name, data)

    async def update(self, schema: EntitySchema, ident: str, patch: Mapping[str, Any]) -> Row:
        if self.db.read_only:
            existing = await self.db.select(schema.name, ident)
            if existing is None:
                raise _not_found(schema, ident)
            schema.update(_without_write_only(schema, existing), await self._comparable(schema, patch))
            raise _unsupported("update", schema, ident)
        return await self.db.update(schema.name, ident, patch)

    async def upsert(self, schema: EntitySchema, ident: str, data: Mapping[str, Any]) -> Row:
        if self.db.read_only:
            row = await self._comparable(schema, data)
            if not is_uuid(ident) and schema.endpoint_key is not None:
                row[schema.endpoint_key] = ident
            schema.replace(ident if is_uuid(ident) else str(uuid.uuid4()), row, None)
            raise _unsupported("create or update", schema, ident)
        return await self.db.upsert(schema.name, ident, data)

    async def delete(self, schema: EntitySchema, ident: str) -> None:
        if self.db.read_only:
            if await self.db.select(schema.name, ident) is None:
                return
            raise _unsupported("remove", schema, ident)
        await self.db.delete(schema.name, ident)

    async def _comparable(self, schema: EntitySchema, data: Mapping[str, Any]) -> dict[str, Any]:
        """What the store would validate: write-only keys dropped, foreign keys by endpoint key resolved."""
        out = _without_write_only(schema, data)
        for name, fld in schema.foreign_keys().items():
            value = out.get(name)
            if not isinstance(value, dict) or len(value) != 1 or "id" in value:
                continue
            parent = self.db.registry.get(fld.reference)
            ((key, key_value),) = value.items()
            if parent is None or key != parent.endpoint_key:
                continue
            row = await self.db.select_by(parent.name, key, key_value)
            if row is None:
                shown = f'{{{key}="{key_value}"}}'
                message = f"the foreign key '{shown}' does not reference an existing '{parent.name}' entity."
                raise StoreError(ErrorCode.FOREIGN_KEY_VIOLATION, message, {name: value})
            out[name] = {"id": row["id"]}
        return out


def _without_write_only(schema: EntitySchema, data: Mapping[str, Any]) -> dict[str, Any]:
    """Drop keys the store accepts beside the schema (a certificate's `snis` list)."""
    out = dict(data)
    if "snis" in out and "snis" not in schema.fields:
        out.pop("snis")
    return out
