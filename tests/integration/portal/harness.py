"""A node's Admin API (with the portal routes) and the portal apps over a real SQLite database, on port 0."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sekisho.admin import AdminContext, build_admin_app
from sekisho.entities import EntityRegistry
from sekisho.plugins.registry import PluginRegistry
from sekisho.portal import PORTAL_ENTITIES, PortalContext, PortalSettings
from sekisho.portal.admin_api import with_portal_admin
from sekisho.store.base import Database
from sekisho.store.factory import open_database
from tests.helpers.asgi_server import serve_asgi

PLUGINS = ["key-auth", "basic-auth", "openid-connect"]


@dataclass(slots=True)
class Portal:
    db: Database
    ctx: PortalContext
    admin: httpx.AsyncClient


async def open_portal_db(tmp_path: Path, pg_dsn: str | None = None) -> tuple[Database, PluginRegistry]:
    """SQLite in `tmp_path`, or a fresh PostgreSQL database at `pg_dsn` (its public schema is reset)."""
    plugins = PluginRegistry.load(PLUGINS)
    registry = EntityRegistry(plugins.config_schema, [*plugins.entities(), *PORTAL_ENTITIES], plugins.scope_rules)
    node_id = str(uuid.uuid4())
    if pg_dsn is not None:
        from sekisho.store.migrations import bootstrap

        db = open_database("postgres", registry=registry, node_id=node_id, pg_dsn=pg_dsn)
        await bootstrap(db)
        return db, plugins
    db = open_database("sqlite", registry=registry, node_id=node_id, sqlite_path=str(tmp_path / "p.db"))
    await db.connect()
    return db, plugins


@asynccontextmanager
async def admin_with_portal(
    tmp_path: Path, settings: PortalSettings | None = None, *, pg_dsn: str | None = None
) -> AsyncIterator[Portal]:
    from sekisho.portal.files import seed_files
    from sekisho.portal.workspaces import ensure_default_workspace

    db, plugins = await open_portal_db(tmp_path, pg_dsn)
    settings = settings or PortalSettings()
    ctx = PortalContext(db=db, plugins=plugins, settings=settings, cluster_secret=secrets.token_bytes(32))
    await ensure_default_workspace(db, settings)
    await seed_files(db)
    admin_app: Any = build_admin_app(AdminContext(db=db, plugins=plugins, node_id="n", hostname="h"))
    try:
        async with serve_asgi(with_portal_admin(admin_app, ctx)) as url, httpx.AsyncClient(base_url=url) as client:
            yield Portal(db, ctx, client)
    finally:
        await db.close()
