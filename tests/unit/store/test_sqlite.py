"""SQLite specifics: self-bootstrapping file, several connections (worker processes) sharing it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from sekisho.errors import ErrorCode, StoreError
from sekisho.store.factory import open_database
from sekisho.store.migrations import available_migrations, list_migrations, reset
from tests.contract.conftest import make_registry


async def test_file_bootstraps_itself_and_lists_migrations(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "sekisho.db"
    db = open_database("sqlite", registry=make_registry(), node_id="n1", sqlite_path=str(path))
    await db.connect()
    try:
        status = await list_migrations(db)
        assert status.bootstrapped and status.pending == []
        assert status.executed == [name for name, _ in available_migrations("sqlite")]
        assert path.exists() and path.stat().st_mode & 0o077 == 0
        await reset(db)
        assert not (await list_migrations(db)).bootstrapped
    finally:
        await db.close()


async def test_two_connections_race_for_one_name(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    first = open_database("sqlite", registry=make_registry(), node_id="a", sqlite_path=path)
    second = open_database("sqlite", registry=make_registry(), node_id="b", sqlite_path=path)
    await first.connect()
    await second.connect()
    try:
        results = await asyncio.gather(
            *(db.insert("consumers", {"username": "same"}) for db in (first, second, first, second)),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, StoreError)]
        assert len(errors) == 3 and all(e.code == ErrorCode.UNIQUE_VIOLATION for e in errors)
        assert await first.count("consumers") == await second.count("consumers") == 1
        assert await first.config_version() == await second.config_version()
        events = await second.events_since(0)
        assert len(events) == 1 and events[0][1].node_id in ("a", "b")
    finally:
        await first.close()
        await second.close()


def test_a_worker_process_sees_committed_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "workers.db")

    async def write() -> int:
        db = open_database("sqlite", registry=make_registry(), node_id="admin", sqlite_path=path)
        await db.connect()
        try:
            await db.insert("services", {"name": "svc", "host": "a.example"})
            return await db.config_version()
        finally:
            await db.close()

    version = asyncio.run(write())
    reader = textwrap.dedent(
        f"""
        import asyncio, json
        from sekisho.store.factory import open_database
        from tests.contract.conftest import make_registry

        async def main():
            db = open_database("sqlite", registry=make_registry(), node_id="worker", sqlite_path={path!r})
            await db.connect()
            row = await db.select("services", "svc")
            print(json.dumps({{"version": await db.config_version(), "host": row["host"]}}))
            await db.close()

        asyncio.run(main())
        """
    )
    out = subprocess.run([sys.executable, "-c", reader], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == {"version": version, "host": "a.example"}
