"""An Admin API served by uvicorn on 127.0.0.1 (port 0) over a real Database, driven with httpx."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
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
from tests.integration.admin.support import TEST_PLUGINS, Admin, AdminFactory, serve


def make_database(strategy: str, tmp_path: Path, plugins: PluginRegistry) -> Database:
    registry = EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)
    node_id = str(uuid.uuid4())
    if strategy == "sqlite":
        return open_database("sqlite", registry=registry, node_id=node_id, sqlite_path=str(tmp_path / "admin.db"))
    return open_database(strategy, registry=registry, node_id=node_id)


@pytest.fixture
def admin_factory(tmp_path: Path) -> AdminFactory:
    @asynccontextmanager
    async def factory(strategy: str = "sqlite", **context: Any) -> AsyncIterator[Admin]:
        plugins = PluginRegistry(TEST_PLUGINS)
        db = make_database(strategy, tmp_path, plugins)
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
