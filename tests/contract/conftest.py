"""One Database contract, run over every backend: writable memory, SQLite (tmp file), PostgreSQL.

PostgreSQL: a fresh database is created per test session on 127.0.0.1:5432 as user postgres and dropped
afterwards; when the server is unreachable the PostgreSQL cases are skipped, unless CI is set (then fail).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sekisho.entities import EntityRegistry
from sekisho.schema import EntitySchema, Foreign, Integer, Record, String, typedefs as t
from sekisho.store.dao import EntityDatabase
from sekisho.store.factory import open_database
from tests.helpers.postgres import PG_HOST, PG_PORT, reset_public_schema, temporary_database

BACKENDS = ["memory", "sqlite", "postgres"]

KEYAUTH_CREDENTIALS = EntitySchema(
    name="keyauth_credentials",
    endpoint_key="key",
    admin_path="key-auths",
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "consumer": Foreign("consumers", required=True, on_delete="cascade", description="Owner."),
        "key": String(unique=True, required=True, description="The API key."),
        "ttl": Integer(description="Seconds to live."),
        "tags": t.tags(),
    },
)


def make_registry() -> EntityRegistry:
    configs = {
        "key-auth": Record({"key_names": String(default="apikey")}),
        "cors": Record({"origins": String()}),
        "acl": Record({"allow": String()}),
    }
    return EntityRegistry(configs.get, plugin_entities=[KEYAUTH_CREDENTIALS])


@dataclass(frozen=True)
class PgSession:
    """A fresh PostgreSQL database for this test session, or why there is none."""

    dsn: str | None
    skip_reason: str | None = None


@pytest.fixture(scope="session")
def pg_session() -> Iterator[PgSession]:
    with temporary_database("sekisho_test") as dsn:
        yield PgSession(dsn, None if dsn else f"PostgreSQL on {PG_HOST}:{PG_PORT} unreachable")


async def build_database(kind: str, tmp_path: Path, pg: PgSession, **kwargs: Any) -> EntityDatabase:
    registry = kwargs.pop("registry", None) or make_registry()
    node_id = kwargs.pop("node_id", str(uuid.uuid4()))
    if kind == "memory":
        return open_database("memory", registry=registry, node_id=node_id)
    if kind == "sqlite":
        path = kwargs.pop("sqlite_path", None) or str(tmp_path / "sekisho.db")
        return open_database("sqlite", registry=registry, node_id=node_id, sqlite_path=path)
    if pg.dsn is None:
        pytest.skip(pg.skip_reason or "PostgreSQL unavailable")
    return open_database("postgres", registry=registry, node_id=node_id, pg_dsn=pg.dsn)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path, pg_session: PgSession) -> AsyncIterator[EntityDatabase]:
    kind = request.param
    if kind == "postgres" and pg_session.dsn is not None:
        await reset_public_schema(pg_session.dsn)
    database = await build_database(kind, tmp_path, pg_session)
    if kind == "postgres":
        from sekisho.store.migrations import bootstrap

        await bootstrap(database)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()
