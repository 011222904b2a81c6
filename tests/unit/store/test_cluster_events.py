"""Two nodes sharing one database: versions follow commit order and each sees the other's events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sekisho.store.dao import EntityDatabase
from tests.contract.conftest import PgSession, build_database
from tests.helpers.postgres import reset_public_schema


@pytest.fixture(params=["sqlite", "postgres"])
async def two_nodes(
    request: pytest.FixtureRequest, tmp_path: Path, pg_session: PgSession
) -> AsyncIterator[tuple[EntityDatabase, EntityDatabase]]:
    if request.param == "postgres" and pg_session.dsn is not None:
        await reset_public_schema(pg_session.dsn)
    path = str(tmp_path / "cluster.db")
    first = await build_database(request.param, tmp_path, pg_session, node_id="node-a", sqlite_path=path)
    second = await build_database(request.param, tmp_path, pg_session, node_id="node-b", sqlite_path=path)
    if request.param == "postgres":
        from sekisho.store.migrations import bootstrap

        await bootstrap(first)
    await first.connect()
    await second.connect()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_versions_are_gapless_and_follow_commits(two_nodes: tuple[EntityDatabase, EntityDatabase]) -> None:
    first, second = two_nodes
    start = await first.config_version()
    await asyncio.gather(
        *(db.insert("consumers", {"username": f"user-{i}"}) for i, db in enumerate([first, second] * 6))
    )
    events = await second.events_since(start)
    assert [version for version, _ in events] == list(range(start + 1, start + 13))
    assert await first.config_version() == await second.config_version() == start + 12
    assert {e.node_id for _, e in events} == {"node-a", "node-b"}
    created = sorted(json.loads(e.data)["id"] for _, e in events)
    assert created == sorted(r["id"] for r in await second.all("consumers"))


async def test_a_node_sees_the_other_nodes_invalidations(two_nodes: tuple[EntityDatabase, EntityDatabase]) -> None:
    first, second = two_nodes
    seen = await second.config_version()
    svc = await first.insert("services", {"name": "shared", "host": "a.example"})
    await first.update("services", "shared", {"retries": 1})
    await first.delete("services", "shared")
    events = await second.events_since(seen)
    assert [json.loads(e.data) for _, e in events] == [
        {"entity": "services", "op": op, "id": svc["id"], "cache_key": f"services:{svc['id']}"}
        for op in ("create", "update", "delete")
    ]
    assert all(e.channel == "invalidations" and e.node_id == "node-a" for _, e in events)
    assert await second.events_since(events[-1][0]) == []
