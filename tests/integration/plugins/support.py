"""A real gateway for plugin tests: SQLite store, runtime with the bundled plugins, proxy on 127.0.0.1:0,
the Admin API over the same store, and an echo upstream that answers with what it received."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sekisho.admin import AdminContext, build_admin_app
from sekisho.entities import EntityRegistry
from sekisho.plugins.base import Plugin
from sekisho.plugins.rate_limiting.shared import default_path
from sekisho.plugins.registry import PluginRegistry
from sekisho.proxy.server import ProxyServer
from sekisho.proxy.settings import ListenSpec, ProxySettings
from sekisho.runtime.runtime import Runtime
from sekisho.store.base import ChangeEvent, Database
from sekisho.store.factory import open_database
from tests.helpers.asgi_server import serve_asgi

PLUGINS = (
    "correlation-id",
    "cors",
    "key-auth",
    "basic-auth",
    "ip-restriction",
    "acl",
    "rate-limiting",
    "request-transformer",
    "file-log",
)


async def _echo(request: Request) -> JSONResponse:
    body = await request.body()
    if request.url.path.startswith("/status/"):
        return JSONResponse({"status": True}, status_code=int(request.url.path.rsplit("/", 1)[1]))
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.headers.raw],
            "body": body.decode("utf-8", "replace"),
        },
        headers={"X-Upstream": "echo"},
    )


ECHO_APP = Starlette(
    routes=[Route("/{path:path}", _echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])]
)


@dataclass
class Echoed:
    """What the upstream received."""

    method: str
    path: str
    query: str
    headers: list[list[str]]
    body: str

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]


@dataclass
class Gateway:
    db: Database
    runtime: Runtime
    client: httpx.AsyncClient
    upstream: str
    admin: httpx.AsyncClient

    async def add(self, entity: str, data: Mapping[str, Any]) -> dict[str, Any]:
        row = await self.db.insert(entity, data)
        await self.runtime.reload()
        return row

    async def update(self, entity: str, ident: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        row = await self.db.update(entity, ident, patch)
        await self.runtime.reload()
        return row

    async def delete(self, entity: str, ident: str) -> None:
        await self.db.delete(entity, ident)
        await self.runtime.reload()

    async def route(self, path: str, **route: Any) -> dict[str, Any]:
        """A service pointing at the echo upstream and a route on `path` (strip_path off)."""
        service = await self.add("services", {"url": self.upstream})
        return await self.add(
            "routes", {"paths": [path], "service": {"id": service["id"]}, "strip_path": False, **route}
        )

    async def plugin(self, name: str, config: Mapping[str, Any] | None = None, **scope: Any) -> dict[str, Any]:
        return await self.add("plugins", {"name": name, "config": dict(config or {}), **scope})

    async def consumer(self, username: str, **extra: Any) -> dict[str, Any]:
        return await self.add("consumers", {"username": username, **extra})

    @staticmethod
    def echoed(response: httpx.Response) -> Echoed:
        assert response.status_code == 200, (response.status_code, response.text)
        data = response.json()
        return Echoed(data["method"], data["path"], data["query"], data["headers"], data["body"])


@asynccontextmanager
async def running_gateway(
    tmp_path: Path,
    settings: ProxySettings | None = None,
    plugin_names: tuple[str, ...] = PLUGINS,
    extra_plugins: Iterable[type[Plugin[Any]]] = (),
) -> AsyncIterator[Gateway]:
    loaded = PluginRegistry.load(plugin_names)
    classes = [cls for name in loaded.names() if (cls := loaded.get(name)) is not None]
    plugins = PluginRegistry([*classes, *extra_plugins])
    registry = EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)
    db = open_database("sqlite", registry=registry, node_id=str(uuid.uuid4()), sqlite_path=str(tmp_path / "gw.db"))
    await db.connect()
    runtime = Runtime(plugins, db=db)

    def invalidate(event: ChangeEvent) -> None:
        runtime.invalidate(event.entity)

    db.subscribe(invalidate)
    await runtime.reload()
    await runtime.init_worker()
    server = ProxyServer(runtime, settings, listens=[ListenSpec("127.0.0.1", 0)])
    await server.start()
    admin_app = build_admin_app(
        AdminContext(db=db, plugins=plugins, node_id=str(uuid.uuid4()), hostname="plugins-test")
    )
    try:
        async with (
            serve_asgi(ECHO_APP) as upstream,
            serve_asgi(admin_app) as admin_url,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port()}") as client,
            httpx.AsyncClient(base_url=admin_url) as admin,
        ):
            yield Gateway(db, runtime, client, upstream, admin)
    finally:
        await server.stop(grace=1.0)
        for instance in runtime.instances.values():
            close = getattr(instance, "close", None)
            if close is not None:
                await close()
        default_path(server.settings.node_id).unlink(missing_ok=True)  # the node's rate-limiting table
        await db.close()
