"""SQLite adapter (the default): one file, WAL mode, calls serialised on a worker thread."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from sekisho.idp.store.base import Conflict, Delete, Insert, Op, Put, Record

__all__ = ["SqliteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idp_records (
    kind  TEXT NOT NULL,
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    data  TEXT NOT NULL,
    PRIMARY KEY (kind, scope, key)
)
"""


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            if str(path) != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.execute(_SCHEMA)

    def _get(self, kind: str, scope: str, key: str) -> Record | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM idp_records WHERE kind=? AND scope=? AND key=?", (kind, scope, key)
            ).fetchone()
        return None if row is None else _load(row[0])

    def _list(self, kind: str, scope: str) -> list[Record]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT data FROM idp_records WHERE kind=? AND scope=? ORDER BY key", (kind, scope)
            ).fetchall()
        return [_load(row[0]) for row in rows]

    def _apply(self, ops: Sequence[Op]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for op in ops:
                    self._apply_one(op)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _apply_one(self, op: Op) -> None:
        if isinstance(op, Insert):
            try:
                self._conn.execute(
                    "INSERT INTO idp_records (kind, scope, key, data) VALUES (?, ?, ?, ?)",
                    (op.kind, op.scope, op.key, json.dumps(op.data)),
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict(op.kind, op.scope, op.key) from exc
        elif isinstance(op, Put):
            self._conn.execute(
                "INSERT INTO idp_records (kind, scope, key, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, scope, key) DO UPDATE SET data = excluded.data",
                (op.kind, op.scope, op.key, json.dumps(op.data)),
            )
        elif isinstance(op, Delete):
            self._conn.execute(
                "DELETE FROM idp_records WHERE kind=? AND scope=? AND key=?", (op.kind, op.scope, op.key)
            )
        else:
            self._conn.execute("DELETE FROM idp_records WHERE scope=?", (op.scope,))

    def _take(self, kind: str, scope: str, key: str) -> Record | None:
        with self._lock:
            row = self._conn.execute(
                "DELETE FROM idp_records WHERE kind=? AND scope=? AND key=? RETURNING data", (kind, scope, key)
            ).fetchone()
        return None if row is None else _load(row[0])

    async def get(self, kind: str, scope: str, key: str) -> Record | None:
        return await asyncio.to_thread(self._get, kind, scope, key)

    async def list(self, kind: str, scope: str) -> list[Record]:
        return await asyncio.to_thread(self._list, kind, scope)

    async def apply(self, ops: Sequence[Op]) -> None:
        await asyncio.to_thread(self._apply, list(ops))

    async def take(self, kind: str, scope: str, key: str) -> Record | None:
        return await asyncio.to_thread(self._take, kind, scope, key)

    async def close(self) -> None:
        with self._lock:
            self._conn.close()


def _load(text: str) -> Record:
    data = json.loads(text)
    assert isinstance(data, dict)
    return data
