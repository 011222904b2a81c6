"""PostgreSQL adapter (asyncpg): the same single table, JSONB payloads, one transaction per batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from sekisho.idp.store.base import Conflict, Delete, Insert, Op, Put, Record

__all__ = ["PostgresStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idp_records (
    kind  TEXT NOT NULL,
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    data  JSONB NOT NULL,
    PRIMARY KEY (kind, scope, key)
)
"""


class PostgresStore:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, dsn: str, **pool_options: Any) -> PostgresStore:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=5, **pool_options)
        async with pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock(7229)")
            try:
                await conn.execute(_SCHEMA)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(7229)")
        return cls(pool)

    async def get(self, kind: str, scope: str, key: str) -> Record | None:
        row = await self._pool.fetchval(
            "SELECT data::text FROM idp_records WHERE kind=$1 AND scope=$2 AND key=$3", kind, scope, key
        )
        return None if row is None else _load(row)

    async def list(self, kind: str, scope: str) -> list[Record]:
        rows = await self._pool.fetch(
            'SELECT data::text AS data FROM idp_records WHERE kind=$1 AND scope=$2 ORDER BY key COLLATE "C"',
            kind,
            scope,
        )
        return [_load(row["data"]) for row in rows]

    async def apply(self, ops: Sequence[Op]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            for op in ops:
                await _apply_one(conn, op)

    async def take(self, kind: str, scope: str, key: str) -> Record | None:
        row = await self._pool.fetchval(
            "DELETE FROM idp_records WHERE kind=$1 AND scope=$2 AND key=$3 RETURNING data::text", kind, scope, key
        )
        return None if row is None else _load(row)

    async def close(self) -> None:
        await self._pool.close()


async def _apply_one(conn: Any, op: Op) -> None:
    if isinstance(op, Insert):
        try:
            await conn.execute(
                "INSERT INTO idp_records (kind, scope, key, data) VALUES ($1, $2, $3, $4::jsonb)",
                op.kind,
                op.scope,
                op.key,
                json.dumps(op.data),
            )
        except asyncpg.UniqueViolationError as exc:
            raise Conflict(op.kind, op.scope, op.key) from exc
    elif isinstance(op, Put):
        await conn.execute(
            "INSERT INTO idp_records (kind, scope, key, data) VALUES ($1, $2, $3, $4::jsonb) "
            "ON CONFLICT (kind, scope, key) DO UPDATE SET data = excluded.data",
            op.kind,
            op.scope,
            op.key,
            json.dumps(op.data),
        )
    elif isinstance(op, Delete):
        await conn.execute("DELETE FROM idp_records WHERE kind=$1 AND scope=$2 AND key=$3", op.kind, op.scope, op.key)
    else:
        await conn.execute("DELETE FROM idp_records WHERE scope=$1", op.scope)


def _load(text: str) -> Record:
    data = json.loads(text)
    assert isinstance(data, dict)
    return data
