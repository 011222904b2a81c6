"""The store contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from sekisho.idp.store import Conflict, Delete, DeleteScope, Insert, Put, StoreAdapter
from sekisho.idp.store.postgres import PostgresStore
from sekisho.idp.store.sqlite import SqliteStore

PG_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreAdapter]:
    if request.param == "sqlite":
        sqlite = SqliteStore(tmp_path / "idp.sqlite3")
        yield sqlite
        await sqlite.close()
        return
    schema = f"idp_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f"CREATE SCHEMA {schema}")
    postgres = await PostgresStore.connect(PG_DSN, server_settings={"search_path": schema})
    try:
        yield postgres
    finally:
        await postgres.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def test_put_get_list_delete(store: StoreAdapter) -> None:
    await store.apply([Put("user", "p1", "b", {"n": 2}), Put("user", "p1", "a", {"n": 1}), Put("user", "p2", "a", {})])
    assert await store.get("user", "p1", "a") == {"n": 1}
    assert await store.list("user", "p1") == [{"n": 1}, {"n": 2}]
    await store.apply([Put("user", "p1", "a", {"n": 3})])
    assert await store.get("user", "p1", "a") == {"n": 3}
    await store.apply([Delete("user", "p1", "a")])
    assert await store.get("user", "p1", "a") is None


async def test_a_conflicting_batch_writes_nothing(store: StoreAdapter) -> None:
    await store.apply([Insert("user", "p", "taken", {"v": 1})])
    with pytest.raises(Conflict) as exc:
        await store.apply([Put("alias", "p", "x", {}), Insert("user", "p", "taken", {"v": 2})])
    assert (exc.value.kind, exc.value.key) == ("user", "taken")
    assert await store.get("alias", "p", "x") is None
    assert await store.get("user", "p", "taken") == {"v": 1}


async def test_take_is_single_use_under_concurrency(store: StoreAdapter) -> None:
    await store.apply([Put("code", "", "c", {"v": 1})])
    results = await asyncio.gather(*(store.take("code", "", "c") for _ in range(10)))
    assert [r for r in results if r is not None] == [{"v": 1}]


async def test_concurrent_inserts_of_one_key_leave_one(store: StoreAdapter) -> None:
    async def attempt(i: int) -> bool:
        try:
            await store.apply([Insert("user", "p", "same", {"i": i})])
        except Conflict:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt(i) for i in range(10)))
    assert outcomes.count(True) == 1


async def test_delete_scope_removes_a_whole_pool(store: StoreAdapter) -> None:
    await store.apply([Put("user", "p", "a", {}), Put("client", "p", "c", {}), Put("user", "q", "a", {})])
    await store.apply([DeleteScope("p")])
    assert await store.list("user", "p") == [] and await store.list("client", "p") == []
    assert await store.list("user", "q") == [{}]
