"""SQLite backend: the embedded default. One file under the node prefix, WAL journal.

Each process opens its own connections: a writer (used by the Admin API) and a reader, each driven by its
own single thread so the event loop never blocks on the file. Write transactions start with
`BEGIN IMMEDIATE`, which takes SQLite's write lock up front (other processes wait up to the busy timeout),
so a read-check-write sequence cannot interleave with another writer. The unique index still backs it.
The file bootstraps itself on first use (`connect` applies pending migrations).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sekisho.errors import ErrorCode, StoreError
from sekisho.store.backend import ClusterEvent, PageQuery, RowIndex, UniqueConflict, row_json
from sekisho.store.base import Row
from sekisho.store.sql import SQLITE, iterate_pages, page_sql

__all__ = ["SQLiteBackend"]

T = TypeVar("T")
_BUSY_TIMEOUT_MS = 30000


def _open(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True, timeout=_BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class _Worker:
    """A connection owned by one thread."""

    def __init__(self, path: str, name: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._conn is None:
                self._conn = _open(self._path)
            return fn(self._conn)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except sqlite3.Error as exc:
            raise StoreError(ErrorCode.DATABASE_ERROR, f"sqlite: {exc}") from exc

    async def close(self) -> None:
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._executor, shut)
        self._executor.shutdown(wait=True)


def _get(conn: sqlite3.Connection, entity: str, ident: str) -> Row | None:
    found = conn.execute("SELECT body FROM entities WHERE entity = ? AND id = ?", (entity, ident)).fetchone()
    return None if found is None else _load(found[0])


def _find_unique(conn: sqlite3.Connection, entity: str, key: str, value: str) -> str | None:
    found = conn.execute(
        "SELECT id FROM unique_keys WHERE entity = ? AND key = ? AND value = ?", (entity, key, value)
    ).fetchone()
    return None if found is None else str(found[0])


def _drop_index(conn: sqlite3.Connection, entity: str, ident: str) -> None:
    for table in ("unique_keys", "tags", "refs"):
        conn.execute(f"DELETE FROM {table} WHERE entity = ? AND id = ?", (entity, ident))


class _SQLiteTxn:
    def __init__(self, worker: _Worker) -> None:
        self._worker = worker

    async def get(self, entity: str, ident: str) -> Row | None:
        return await self._worker.run(lambda c: _get(c, entity, ident))

    async def find_unique(self, entity: str, key: str, value: str) -> str | None:
        return await self._worker.run(lambda c: _find_unique(c, entity, key, value))

    async def put(self, entity: str, row: Row, index: RowIndex) -> None:
        ident = str(row["id"])
        body = row_json(row)
        created = row.get("created_at")

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO entities (entity, id, body, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (entity, id) DO UPDATE SET body = excluded.body",
                (entity, ident, body, created if isinstance(created, int | float) else None),
            )
            _drop_index(conn, entity, ident)
            for key, value in index.unique:
                try:
                    conn.execute(
                        "INSERT INTO unique_keys (entity, key, value, id) VALUES (?, ?, ?, ?)",
                        (entity, key, value, ident),
                    )
                except sqlite3.IntegrityError:
                    raise UniqueConflict(entity, key) from None
            conn.executemany(
                "INSERT OR IGNORE INTO tags (entity, id, tag) VALUES (?, ?, ?)",
                [(entity, ident, tag) for tag in index.tags],
            )
            conn.executemany(
                "INSERT INTO refs (entity, id, field, ref_entity, ref_id) VALUES (?, ?, ?, ?, ?)",
                [(entity, ident, fld, ref_entity, ref_id) for fld, ref_entity, ref_id in index.refs],
            )

        await self._worker.run(write)

    async def remove(self, entity: str, ident: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            _drop_index(conn, entity, ident)
            conn.execute("DELETE FROM entities WHERE entity = ? AND id = ?", (entity, ident))

        await self._worker.run(write)

    async def referencing(self, entity: str, ident: str) -> list[tuple[str, str, str]]:
        def read(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
            rows = conn.execute(
                "SELECT entity, field, id FROM refs WHERE ref_entity = ? AND ref_id = ? ORDER BY entity, id",
                (entity, ident),
            ).fetchall()
            return [(str(e), str(f), str(i)) for e, f, i in rows]

        return await self._worker.run(read)

    async def publish(self, events: Sequence[ClusterEvent]) -> int:
        def write(conn: sqlite3.Connection) -> int:
            step = max(len(events), 1)
            (version,) = conn.execute(
                "UPDATE config_state SET version = version + ? WHERE singleton = 1 RETURNING version", (step,)
            ).fetchone()
            first = int(version) - step + 1
            conn.executemany(
                "INSERT INTO cluster_events (id, node_id, at, nbf, expire_at, channel, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (first + i, e.node_id, e.at, e.nbf, e.expire_at or e.at, e.channel, e.data)
                    for i, e in enumerate(events)
                ],
            )
            if events:
                conn.execute("DELETE FROM cluster_events WHERE expire_at < ?", (events[0].at,))
            return int(version)

        return await self._worker.run(write)

    async def clear(self) -> None:
        def write(conn: sqlite3.Connection) -> None:
            for table in ("unique_keys", "tags", "refs", "entities"):
                conn.execute(f"DELETE FROM {table}")

        await self._worker.run(write)


class SQLiteBackend:
    strategy = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: _Worker | None = None
        self._reader: _Worker | None = None
        self._write_lock = asyncio.Lock()

    async def connect(self) -> None:
        if self._writer is not None:
            return
        await asyncio.to_thread(_prepare_file, self.path)
        self._writer = _Worker(self.path, "sekisho-sqlite-writer")
        self._reader = _Worker(self.path, "sekisho-sqlite-reader")
        from sekisho.store.migrations import apply_pending

        await apply_pending(self)

    async def close(self) -> None:
        for worker in (self._writer, self._reader):
            if worker is not None:
                await worker.close()
        self._writer = self._reader = None

    async def is_reachable(self) -> bool:
        try:
            await self._read(lambda c: c.execute("SELECT 1").fetchone())
        except StoreError:
            return False
        return True

    # -- migrations support ---------------------------------------------------------------------------
    async def applied_migrations(self) -> list[str] | None:
        def read(conn: sqlite3.Connection) -> list[str] | None:
            table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
            if table.fetchone() is None:
                return None
            return [str(r[0]) for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()]

        return await self._write_worker().run(read)

    async def apply_migration(self, name: str, script: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, executed_at REAL NOT NULL)"
                )
                if conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone() is not None:
                    conn.execute("ROLLBACK")
                    return False
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations (name, executed_at) VALUES (?, ?)", (name, time.time()))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return True

        return await self._write_worker().run(write)

    async def drop_everything(self) -> None:
        def drop(conn: sqlite3.Connection) -> None:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
            conn.execute("PRAGMA foreign_keys = OFF")
            for name in names:
                if not name.startswith("sqlite_"):
                    conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            conn.execute("PRAGMA foreign_keys = ON")

        await self._write_worker().run(drop)

    # -- transactions and reads -----------------------------------------------------------------------
    def _write_worker(self) -> _Worker:
        if self._writer is None:
            raise StoreError(ErrorCode.DATABASE_ERROR, "sqlite database is not connected")
        return self._writer

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._reader is None:
            raise StoreError(ErrorCode.DATABASE_ERROR, "sqlite database is not connected")
        return await self._reader.run(fn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SQLiteTxn]:
        worker = self._write_worker()
        async with self._write_lock:
            await worker.run(lambda c: c.execute("BEGIN IMMEDIATE"))
            try:
                yield _SQLiteTxn(worker)
            except BaseException:
                await worker.run(lambda c: c.execute("ROLLBACK"))
                raise
            await worker.run(lambda c: c.execute("COMMIT"))

    async def get(self, entity: str, ident: str) -> Row | None:
        return await self._read(lambda c: _get(c, entity, ident))

    async def find_unique(self, entity: str, key: str, value: str) -> str | None:
        return await self._read(lambda c: _find_unique(c, entity, key, value))

    async def page(self, query: PageQuery) -> list[Row]:
        sql, args = page_sql(SQLITE, query)
        rows = await self._read(lambda c: c.execute(sql, tuple(args)).fetchall())
        return [_load(body) for _, body in rows]

    def iterate(self, entity: str) -> AsyncIterator[Row]:
        return iterate_pages(self.page, entity)

    async def count(self, entity: str) -> int:
        (n,) = await self._read(
            lambda c: c.execute("SELECT COUNT(*) FROM entities WHERE entity = ?", (entity,)).fetchone()
        )
        return int(n)

    async def config_version(self) -> int:
        found = await self._read(lambda c: c.execute("SELECT version FROM config_state WHERE singleton = 1").fetchone())
        return 0 if found is None else int(found[0])

    async def events_since(self, version: int, limit: int = 1000) -> list[tuple[int, ClusterEvent]]:
        rows = await self._read(
            lambda c: c.execute(
                "SELECT id, node_id, at, nbf, expire_at, channel, data FROM cluster_events WHERE id > ? "
                "ORDER BY id LIMIT ?",
                (version, limit),
            ).fetchall()
        )
        return [(int(r[0]), ClusterEvent(r[1], r[5], r[6], r[2], r[3], r[4])) for r in rows]


def _prepare_file(path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not Path(path).exists():
        # keys and credentials live here: owner-only (SQLite gives -wal/-shm files the same mode)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _statements(script: str) -> list[str]:
    """Split a migration into statements (our SQL files hold no semicolons inside literals)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def _load(body: str) -> Row:
    row: Row = json.loads(body)
    return row
