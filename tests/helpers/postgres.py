"""Throwaway PostgreSQL databases on 127.0.0.1:5432 (trust auth, user postgres) for tests."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PG_HOST", "PG_PORT", "PG_SERVER", "execute", "reset_public_schema", "temporary_database"]

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_SERVER = f"postgresql://postgres@{PG_HOST}:{PG_PORT}"


async def execute(sql: str, dsn: str = f"{PG_SERVER}/postgres") -> None:
    """Run `sql` on its own connection (by default to the maintenance database `postgres`)."""
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def reset_public_schema(dsn: str) -> None:
    """Wipe a test database between tests: a fresh, empty `public` schema."""
    await execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public", dsn)


@contextmanager
def temporary_database(prefix: str) -> Iterator[str | None]:
    """A database `<prefix>_<random>` created on entry and dropped (connections and all) on exit; yields its
    DSN, or None when PostgreSQL cannot be reached (when CI is set, that error is raised instead).

    For synchronous fixtures: it runs its own event loop."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    except Exception:  # OSError when nothing listens, asyncpg's own errors otherwise
        if os.environ.get("CI"):
            raise
        yield None
        return
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
