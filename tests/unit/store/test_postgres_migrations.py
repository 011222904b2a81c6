"""PostgreSQL migrations: a node refuses an un-bootstrapped database; bootstrap, list, up and reset."""

from __future__ import annotations

import pytest

from sekisho.errors import ErrorCode, StoreError
from sekisho.store.factory import open_database
from sekisho.store.migrations import (
    NEEDS_BOOTSTRAP,
    available_migrations,
    bootstrap,
    check_ready,
    list_migrations,
    reset,
    up,
)
from tests.contract.conftest import PgSession, make_registry
from tests.helpers.postgres import reset_public_schema


async def test_lifecycle_of_a_postgres_schema(pg_session: PgSession) -> None:
    if pg_session.dsn is None:
        pytest.skip(pg_session.skip_reason or "PostgreSQL unavailable")
    await reset_public_schema(pg_session.dsn)
    db = open_database("postgres", registry=make_registry(), node_id="n1", pg_dsn=pg_session.dsn)
    try:
        with pytest.raises(StoreError) as info:
            await check_ready(db)
        assert info.value.code == ErrorCode.DATABASE_ERROR and info.value.message == NEEDS_BOOTSTRAP
        assert "sekisho migrations bootstrap" in info.value.message
        with pytest.raises(StoreError) as info:
            await db.insert("consumers", {"username": "early"})
        assert info.value.message == NEEDS_BOOTSTRAP
        with pytest.raises(StoreError):
            await up(db)
        status = await list_migrations(db)
        assert not status.bootstrapped and status.pending == [n for n, _ in available_migrations("postgres")]

        assert await bootstrap(db) == [n for n, _ in available_migrations("postgres")]
        assert await bootstrap(db) == []
        assert await up(db) == []
        await check_ready(db)
        await db.insert("consumers", {"username": "bob"})
        assert await db.is_reachable()

        await reset(db)
        assert not (await list_migrations(db)).bootstrapped
    finally:
        await db.close()


async def test_unreachable_server_is_reported_not_raised() -> None:
    db = open_database(
        "postgres", registry=make_registry(), node_id="n1", pg_params={"host": "127.0.0.1", "port": 1, "timeout": 2}
    )
    assert not await db.is_reachable()
    with pytest.raises(StoreError) as info:
        await db.select("services", "x")
    assert info.value.code == ErrorCode.DATABASE_ERROR
