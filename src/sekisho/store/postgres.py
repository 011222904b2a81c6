"""PostgreSQL backend through an asyncpg pool; same tables as SQLite (see `sekisho.store.sql`).

Concurrent writers are safe without table locks: the unique index on `unique_keys` decides races (the
loser gets `UniqueViolationError`, reported as Kong's UNIQUE violation), and the `config_state` row bumped
last in each transaction orders versions and `cluster_events` ids by commit.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg

from sekisho.errors import ErrorCode, StoreError
from sekisho.store.backend import ClusterEvent, PageQuery, RowIndex, UniqueConflict, row_json
from sekisho.store.base import Row
from sekisho.store.sql import POSTGRES, iterate_pages, page_sql

__all__ = ["PostgresBackend"]

T = TypeVar("T")
_OWNED_TABLES = ("refs", "tags", "unique_keys", "entities", "cluster_events", "config_state", "schema_migrations")
_MIGRATION_LOCK = 0x5E415E0  # advisory lock id: one node migrates at a time


async def _guard(call: Awaitable[T]) -> T:
    """Turn driver errors into Kong's DATABASE_ERROR, with a clear message for an un-bootstrapped schema."""
    try:
        return await call
    except UniqueConflict:
        raise
    except asyncpg.UndefinedTableError as exc:
        from sekisho.store.migrations import NEEDS_BOOTSTRAP

        raise StoreError(ErrorCode.DATABASE_ERROR, NEEDS_BOOTSTRAP) from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise StoreError(ErrorCode.DATABASE_ERROR, f"postgres: {exc}") from exc


async def _get(conn: Any, entity: str, ident: str) -> Row | None:
    body = await conn.fetchval("SELECT body FROM entities WHERE entity = $1 AND id = $2", entity, ident)
    return None if body is None else _load(body)


async def _find_unique(conn: Any, entity: str, key: str, value: str) -> str | None:
    found = await conn.fetchval(
        "SELECT id FROM unique_keys WHERE entity = $1 AND key = $2 AND value = $3", entity, key, value
    )
    return None if found is None else str(found)


async def _drop_index(conn: Any, entity: str, ident: str) -> None:
    for table in ("unique_keys", "tags", "refs"):
        await conn.execute(f"DELETE FROM {table} WHERE entity = $1 AND id = $2", entity, ident)


class _PostgresTxn:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def get(self, entity: str, ident: str) -> Row | None:
        return await _guard(_get(self._conn, entity, ident))

    async def find_unique(self, entity: str, key: str, value: str) -> str | None:
        return await _guard(_find_unique(self._conn, entity, key, value))

    async def put(self, entity: str, row: Row, index: RowIndex) -> None:
        await _guard(self._put(entity, row, index))

    async def _put(self, entity: str, row: Row, index: RowIndex) -> None:
        conn = self._conn
        ident = str(row["id"])
        created = row.get("created_at")
        await conn.execute(
            "INSERT INTO entities (entity, id, body, created_at) VALUES ($1, $2, $3::json, $4) "
            "ON CONFLICT (entity, id) DO UPDATE SET body = excluded.body",
            entity,
            ident,
            row_json(row),
            float(created) if isinstance(created, int | float) else None,
        )
        await _drop_index(conn, entity, ident)
        for key, value in index.unique:
            try:
                await conn.execute(
                    "INSERT INTO unique_keys (entity, key, value, id) VALUES ($1, $2, $3, $4)",
                    entity,
                    key,
                    value,
                    ident,
                )
            except asyncpg.UniqueViolationError:
                raise UniqueConflict(entity, key) from None
        if index.tags:
            await conn.executemany(
                "INSERT INTO tags (entity, id, tag) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [(entity, ident, tag) for tag in index.tags],
            )
        if index.refs:
            await conn.executemany(
                "INSERT INTO refs (entity, id, field, ref_entity, ref_id) VALUES ($1, $2, $3, $4, $5)",
                [(entity, ident, fld, ref_entity, ref_id) for fld, ref_entity, ref_id in index.refs],
            )

    async def remove(self, entity: str, ident: str) -> None:
        async def run() -> None:
            await _drop_index(self._conn, entity, ident)
            await self._conn.execute("DELETE FROM entities WHERE entity = $1 AND id = $2", entity, ident)

        await _guard(run())

    async def referencing(self, entity: str, ident: str) -> list[tuple[str, str, str]]:
        rows = await _guard(
            self._conn.fetch(
                "SELECT entity, field, id FROM refs WHERE ref_entity = $1 AND ref_id = $2 ORDER BY entity, id",
                entity,
                ident,
            )
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def publish(self, events: Sequence[ClusterEvent]) -> int:
        async def run() -> int:
            step = max(len(events), 1)
            version = int(
                await self._conn.fetchval(
                    "UPDATE config_state SET version = version + $1 WHERE singleton = 1 RETURNING version", step
                )
            )
            first = version - step + 1
            if events:
                await self._conn.executemany(
                    "INSERT INTO cluster_events (id, node_id, at, nbf, expire_at, channel, data) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [
                        (first + i, e.node_id, e.at, e.nbf, e.expire_at or e.at, e.channel, e.data)
                        for i, e in enumerate(events)
                    ],
                )
                await self._conn.execute("DELETE FROM cluster_events WHERE expire_at < $1", events[0].at)
            return version

        return await _guard(run())

    async def clear(self) -> None:
        await _guard(self._conn.execute("TRUNCATE refs, tags, unique_keys, entities"))


class PostgresBackend:
    strategy = "postgres"

    def __init__(self, dsn: str | None, params: dict[str, Any]) -> None:
        self._dsn = dsn
        self._params = dict(params)
        self._pool: Any = None

    async def connect(self) -> None:
        if self._pool is not None:
            return
        params = dict(self._params)
        min_size = int(params.pop("min_size", 1))
        max_size = int(params.pop("max_size", 10))
        self._pool = await _guard(asyncpg.create_pool(dsn=self._dsn, min_size=min_size, max_size=max_size, **params))

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def is_reachable(self) -> bool:
        try:
            await self._run(lambda c: c.fetchval("SELECT 1"))
        except StoreError:
            return False
        return True

    async def _run(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        if self._pool is None:
            await self.connect()

        async def call() -> T:
            async with self._pool.acquire() as conn:
                return await fn(conn)

        return await _guard(call())

    # -- migrations support ---------------------------------------------------------------------------
    async def applied_migrations(self) -> list[str] | None:
        async def read(conn: Any) -> list[str] | None:
            if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
                return None
            return [str(r[0]) for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")]

        return await self._run(read)

    async def apply_migration(self, name: str, script: str) -> bool:
        async def write(conn: Any) -> bool:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(name TEXT PRIMARY KEY, executed_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                if await conn.fetchval("SELECT 1 FROM schema_migrations WHERE name = $1", name):
                    return False
                await conn.execute(script)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
                return True

        return await self._run(write)

    async def drop_everything(self) -> None:
        await self._run(lambda c: c.execute(f"DROP TABLE IF EXISTS {', '.join(_OWNED_TABLES)} CASCADE"))

    # -- transactions and reads -----------------------------------------------------------------------
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PostgresTxn]:
        if self._pool is None:
            await self.connect()
        async with self._pool.acquire() as conn:
            tx = conn.transaction()
            await _guard(tx.start())
            try:
                yield _PostgresTxn(conn)
            except BaseException:
                await tx.rollback()
                raise
            await _guard(tx.commit())

    async def get(self, entity: str, ident: str) -> Row | None:
        return await self._run(lambda c: _get(c, entity, ident))

    async def find_unique(self, entity: str, key: str, value: str) -> str | None:
        return await self._run(lambda c: _find_unique(c, entity, key, value))

    async def page(self, query: PageQuery) -> list[Row]:
        sql, args = page_sql(POSTGRES, query)
        rows = await self._run(lambda c: c.fetch(sql, *args))
        return [_load(r[1]) for r in rows]

    def iterate(self, entity: str) -> AsyncIterator[Row]:
        return iterate_pages(self.page, entity)

    async def count(self, entity: str) -> int:
        return int(await self._run(lambda c: c.fetchval("SELECT COUNT(*) FROM entities WHERE entity = $1", entity)))

    async def config_version(self) -> int:
        found = await self._run(lambda c: c.fetchval("SELECT version FROM config_state WHERE singleton = 1"))
        return 0 if found is None else int(found)

    async def events_since(self, version: int, limit: int = 1000) -> list[tuple[int, ClusterEvent]]:
        rows = await self._run(
            lambda c: c.fetch(
                "SELECT id, node_id, at, nbf, expire_at, channel, data FROM cluster_events WHERE id > $1 "
                "ORDER BY id LIMIT $2",
                version,
                limit,
            )
        )
        return [(int(r[0]), ClusterEvent(r[1], r[5], r[6], r[2], r[3], r[4])) for r in rows]


def _load(body: str) -> Row:
    row: Row = json.loads(body)
    return row
