"""`Database.shared_secret`: one value for every process and node sharing a database, created once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sekisho.store.dao import EntityDatabase
from tests.contract.conftest import PgSession, build_database


async def test_the_secret_is_created_once_and_stable(db: EntityDatabase) -> None:
    first = await db.shared_secret("cluster")
    assert len(first) == 32
    assert await db.shared_secret("cluster") == first
    other = await db.shared_secret("portal")
    assert other != first and len(other) == 32


async def test_a_second_node_on_the_same_database_reads_the_same_secret(
    db: EntityDatabase, tmp_path: Path, pg_session: PgSession
) -> None:
    if db.strategy == "memory":
        pytest.skip("a memory database lives in one process")
    second = await build_database(db.strategy, tmp_path, pg_session)
    await second.connect()
    try:
        mine, theirs = await asyncio.gather(db.shared_secret("cluster"), second.shared_secret("cluster"))
        assert mine == theirs
        assert await second.shared_secret("cluster") == await db.shared_secret("cluster")
    finally:
        await second.close()


async def test_the_secret_is_not_an_entity(db: EntityDatabase) -> None:
    before = {name: await db.count(name) for name in db.registry.names()}
    await db.shared_secret("cluster")
    assert {name: await db.count(name) for name in db.registry.names()} == before
    assert "_shared_secrets" not in db.registry
