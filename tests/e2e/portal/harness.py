"""A portal (GUI + Portal API), a proxy with a `key-auth` route to an echo upstream, all over one SQLite
database, served from a background thread so a synchronous browser driver can use them."""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from tests.helpers.echo_upstream import EchoUpstream
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


class PortalThread:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._gui_sock = _bound_socket()
        self._api_sock = _bound_socket()
        self.gui_url = f"http://localhost:{self._gui_sock.getsockname()[1]}"
        self.api_url = f"http://localhost:{self._api_sock.getsockname()[1]}"
        self.proxy_url = ""
        self.db: Database | None = None
        self.ctx: PortalContext | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="sekisho-portal", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
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
        self._ready.set()
        try:
            await self._stop.wait()
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
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self._gui_sock.close()
        self._api_sock.close()

    def call(self, fn: Callable[[Database], Awaitable[T]]) -> T:
        assert self.db is not None
        return asyncio.run_coroutine_threadsafe(_invoke(fn, self.db), self._loop).result(30)


async def _invoke(fn: Callable[[Database], Awaitable[T]], db: Database) -> T:
    return await fn(db)


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
