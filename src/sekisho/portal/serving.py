"""Serving the portal on already bound sockets (`portal_gui_listen`, `portal_api_listen`) with uvicorn,
like the Admin API: one server per app and TLS setting. The node binds; the portal only serves."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sekisho.portal.build import PortalApps
from sekisho.portal.context import PortalContext, PortalSettings

__all__ = ["PortalServers", "portal_context", "serve_portal"]

Listener = tuple[socket.socket, bool]
"""A bound listening socket and whether it speaks TLS."""


def portal_context(
    config: Any, db: Any, plugins: Any, *, node_id: str, cluster_secret: bytes, max_body_size: int = 1024 * 1024
) -> PortalContext:
    """The context from a `NodeConfig`, the node's `Database` and `PluginRegistry`."""
    return PortalContext(
        db=db,
        plugins=plugins,
        settings=PortalSettings.from_config(config),
        cluster_secret=cluster_secret,
        node_id=node_id,
        max_body_size=max_body_size,
    )


@dataclass(slots=True)
class PortalServers:
    apps: PortalApps
    servers: list[tuple[Any, asyncio.Task[None]]] = field(default_factory=list)

    async def stop(self, drain_seconds: float = 5.0) -> None:
        for server, _ in self.servers:
            server.should_exit = True
        for _, task in self.servers:
            try:
                await asyncio.wait_for(task, drain_seconds)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        await self.apps.close()


async def serve_portal(
    apps: PortalApps,
    gui: Sequence[Listener],
    api: Sequence[Listener],
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> PortalServers:
    """Start serving; TLS listeners need `ssl_certfile`/`ssl_keyfile` (`portal_ssl_cert`/`_key`, or the node's
    default certificate)."""
    import uvicorn

    running = PortalServers(apps)
    loop = asyncio.get_running_loop()
    for app, listeners in ((apps.gui, gui), (apps.api, api)):
        for use_ssl in (False, True):
            socks = [sock for sock, is_ssl in listeners if is_ssl is use_ssl]
            if not socks:
                continue
            if use_ssl and not (ssl_certfile and ssl_keyfile):
                raise ValueError("TLS portal listeners need a certificate and key")
            config = uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                lifespan="off",
                server_header=False,
                ssl_certfile=ssl_certfile if use_ssl else None,
                ssl_keyfile=ssl_keyfile if use_ssl else None,
                timeout_graceful_shutdown=5,
                loop="none",
                http="httptools",
            )
            server = uvicorn.Server(config)
            # `_serve`, not `serve`: the node owns signal handling (as for the Admin API)
            running.servers.append((server, loop.create_task(server._serve(sockets=socks))))
    for server, task in running.servers:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("a portal server stopped while starting")
            await asyncio.sleep(0.01)
    return running
