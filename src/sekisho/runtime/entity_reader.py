"""`kong.db(entity)`: read-only access for plugins over the `Database` read methods."""

from __future__ import annotations

from typing import Any

from sekisho.store.base import Database

__all__ = ["DatabaseEntityReader"]

Row = dict[str, Any]
_MAX_ROWS = 10_000


class DatabaseEntityReader:
    """Implements `sekisho.pdk.EntityReader` for one entity."""

    __slots__ = ("_db", "_entity")

    def __init__(self, db: Database, entity: str) -> None:
        self._db = db
        self._entity = entity

    async def select(self, ident: str) -> Row | None:
        return await self._db.select(self._entity, ident)

    async def select_by(self, field: str, value: Any) -> Row | None:
        return await self._db.select_by(self._entity, field, value)

    async def each_for(self, field: str, foreign_id: str) -> list[Row]:
        rows: list[Row] = []
        offset: str | None = None
        while True:
            page = await self._db.page(self._entity, size=1000, offset=offset, foreign={field: foreign_id})
            rows.extend(page.data)
            offset = page.offset
            if offset is None or len(rows) >= _MAX_ROWS:
                return rows
