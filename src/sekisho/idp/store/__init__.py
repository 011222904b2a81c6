"""Open the IdP's store: a SQLite file by default, PostgreSQL when given a `postgres://` DSN."""

from __future__ import annotations

from pathlib import Path

from sekisho.idp.store.base import Conflict, Delete, DeleteScope, Insert, Op, Put, Record, StoreAdapter

__all__ = ["Conflict", "Delete", "DeleteScope", "Insert", "Op", "Put", "Record", "StoreAdapter", "open_store"]


async def open_store(database: str | None, data_dir: Path) -> StoreAdapter:
    if database and database.startswith(("postgres://", "postgresql://")):
        from sekisho.idp.store.postgres import PostgresStore

        return await PostgresStore.connect(database)
    from sekisho.idp.store.sqlite import SqliteStore

    if database:
        return SqliteStore(database)
    return SqliteStore(_prepared(data_dir) / "idp.sqlite3")


def _prepared(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir
