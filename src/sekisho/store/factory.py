"""`open_database`: the one way the node, the CLI and tests build a `Database`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sekisho.entities import EntityRegistry
from sekisho.errors import ConfigError
from sekisho.store.base import Database
from sekisho.store.dao import EntityDatabase

__all__ = ["STRATEGIES", "open_database"]

STRATEGIES = ("off", "memory", "sqlite", "postgres")


def open_database(
    strategy: str,
    *,
    registry: EntityRegistry,
    node_id: str,
    sqlite_path: str | None = None,
    pg_dsn: str | None = None,
    pg_params: Mapping[str, Any] | None = None,
) -> EntityDatabase:
    """Build (not connect) a Database. `off` is DB-less (read-only, loaded from declarative config);
    `memory` is a writable in-process variant; `sqlite` needs `sqlite_path`; `postgres` takes a DSN
    and/or asyncpg connect parameters (host, port, user, password, database, ssl, min_size, max_size)."""
    if strategy in ("off", "memory"):
        from sekisho.store.memory import MemoryBackend

        return EntityDatabase(MemoryBackend(strategy), registry, node_id=node_id, read_only=strategy == "off")
    if strategy == "sqlite":
        if not sqlite_path:
            raise ConfigError("database", "the sqlite strategy needs a database file path")
        from sekisho.store.sqlite import SQLiteBackend

        return EntityDatabase(SQLiteBackend(sqlite_path), registry, node_id=node_id)
    if strategy == "postgres":
        from sekisho.store.postgres import PostgresBackend

        return EntityDatabase(PostgresBackend(pg_dsn, dict(pg_params or {})), registry, node_id=node_id)
    raise ConfigError("database", f"unknown database strategy '{strategy}' (expected one of: {', '.join(STRATEGIES)})")


def _conforms(db: EntityDatabase) -> Database:
    return db  # mypy proves EntityDatabase implements the Database protocol
