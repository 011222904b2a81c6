"""A portal (GUI + Portal API), a proxy with a `key-auth` route to an echo upstream, all over one SQLite
database, served from a background thread so a synchronous browser driver can use them."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.loop_thread import LoopThread
from tests.integration.portal.harness import PLUGINS, open_portal_db

from sekisho.plugins.registry import PluginRegistry
from sekisho.portal import PortalContext, PortalSettings, build_portal, prepare_portal
from sekisho.portal.seed_conf import configure_oidc_portal
from sekisho.proxy import ListenSpec, ProxyServer, ProxySettings
from sekisho.runtime import Runtime
from sekisho.store.base import Database

T = TypeVar("T")


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class PortalThread(LoopThread):
    def __init__(self, data_dir: Path) -> None:
        super().__init__("sekisho-portal")
        self.data_dir = data_dir
        self._gui_sock = _bound_socket()
        self._api_sock = _bound_socket()
        self.gui_url = f"http://localhost:{self._gui_sock.getsockname()[1]}"
        self.api_url = f"http://localhost:{self._api_sock.getsockname()[1]}"
        self.proxy_url = ""
        self.db: Database | None = None
        self.ctx: PortalContext | None = None

    async def serve(self) -> None:
        db, plugins = await open_portal_db(self.data_dir)
        self.db = db
        host = self.gui_url.removeprefix("http://")
        settings = PortalSettings(gui_host=host, api_url=self.api_url)
        self.ctx = PortalContext(db=db, plugins=plugins, settings=settings, cluster_secret=secrets.token_bytes(32))
        await prepare_portal(self.ctx)
        apps = build_portal(self.ctx)
        runtime = Runtime(PluginRegistry.load(PLUGINS), db=db)
        db.subscribe(runtime.on_change)
        echo = await EchoUpstream().start()
        service = await db.insert("services", {"url": f"http://127.0.0.1:{echo.port}"})
        route = await db.insert("routes", {"paths": ["/echo"], "service": {"id": service["id"]}})
        await db.insert("plugins", {"name": "key-auth", "route": {"id": route["id"]}})
        await runtime.reload()
        proxy = ProxyServer(runtime, ProxySettings(), listens=[ListenSpec("127.0.0.1", 0)])
        await proxy.start()
        self.proxy_url = f"http://127.0.0.1:{proxy.port(ssl=False)}"
        servers = []
        for app, sock in ((apps.gui, self._gui_sock), (apps.api, self._api_sock)):
            server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
            servers.append((server, asyncio.create_task(server.serve(sockets=[sock]))))
        while not all(server.started for server, _ in servers):
            for _, task in servers:
                if task.done():
                    task.result()
                    raise RuntimeError("a portal server stopped while starting")
            await asyncio.sleep(0.01)
        self.ready()
        try:
            await self.stopped()
        finally:
            for server, _ in servers:
                server.should_exit = True
            for _, task in servers:
                await task
            await proxy.stop(grace=0.5)
            runtime.close()
            await echo.stop()
            await apps.close()
            await db.close()

    def start(self) -> PortalThread:
        self.start_thread()
        return self

    def stop(self) -> None:
        self.stop_thread()
        self._gui_sock.close()
        self._api_sock.close()

    def call(self, fn: Callable[[Database], Awaitable[T]]) -> T:
        db = self.db
        assert db is not None
        return self.run(lambda: fn(db))


@contextmanager
def portal_thread(data_dir: Path) -> Iterator[PortalThread]:
    portal = PortalThread(data_dir).start()
    try:
        yield portal
    finally:
        portal.stop()


def configure_oidc(portal: PortalThread, auth_conf: dict[str, Any]) -> Any:
    async def apply(db: Database) -> Any:
        return await configure_oidc_portal(db, auth_conf)

    return portal.call(apply)
