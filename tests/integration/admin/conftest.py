"""An Admin API served by uvicorn on 127.0.0.1 (port 0) over a real Database, driven with httpx.

PostgreSQL cases use a fresh database on 127.0.0.1:5432 (user postgres) created for the session and
dropped afterwards; they are skipped when no server answers (unless CI is set).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from sekisho.admin import AdminContext, build_admin_app
from sekisho.entities import EntityRegistry
from sekisho.plugins.registry import PluginRegistry
from sekisho.store.base import Database
from sekisho.store.factory import open_database
from tests.helpers.postgres import reset_public_schema, temporary_database
from tests.integration.admin.support import TEST_PLUGINS, Admin, AdminFactory, serve


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str | None]:
    with temporary_database("sekisho_admin") as dsn:
        yield dsn


async def make_database(strategy: str, tmp_path: Path, plugins: PluginRegistry, pg_dsn: str | None) -> Database:
    registry = EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)
    node_id = str(uuid.uuid4())
    if strategy == "sqlite":
        return open_database("sqlite", registry=registry, node_id=node_id, sqlite_path=str(tmp_path / "admin.db"))
    if strategy == "postgres":
        if pg_dsn is None:
            pytest.skip("PostgreSQL on 127.0.0.1:5432 is not reachable")
        from sekisho.store.migrations import bootstrap

        await reset_public_schema(pg_dsn)
        db = open_database("postgres", registry=registry, node_id=node_id, pg_dsn=pg_dsn)
        await bootstrap(db)
        return db
    return open_database(strategy, registry=registry, node_id=node_id)


@pytest.fixture
def admin_factory(tmp_path: Path, pg_dsn: str | None) -> AdminFactory:
    @asynccontextmanager
    async def factory(
        strategy: str = "sqlite", plugins: PluginRegistry | None = None, **context: Any
    ) -> AsyncIterator[Admin]:
        plugins = plugins if plugins is not None else PluginRegistry(TEST_PLUGINS)
        db = await make_database(strategy, tmp_path, plugins, pg_dsn)
        await db.connect()
        ctx = AdminContext(
            db=db,
            plugins=plugins,
            node_id=str(uuid.uuid4()),
            hostname="admin-test-host",
            configuration={"database": strategy, "admin_listen": ["127.0.0.1:8001"]},
            **context,
        )
        try:
            async with serve(build_admin_app(ctx)) as base_url, httpx.AsyncClient(base_url=base_url) as client:
                yield Admin(client, ctx)
        finally:
            await db.close()

    return factory


@pytest.fixture
async def admin(admin_factory: AdminFactory) -> AsyncIterator[Admin]:
    async with admin_factory("sqlite") as running:
        yield running


@pytest.fixture(params=["sqlite", "memory", "postgres"])
async def any_admin(request: pytest.FixtureRequest, admin_factory: AdminFactory) -> AsyncIterator[Admin]:
    """The same Admin API over each writable backend."""
    async with admin_factory(request.param) as running:
        yield running
