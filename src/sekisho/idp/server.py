"""Run the IdP: an http listener and an https listener (self-signed) in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import uvicorn

from sekisho.idp.app import build_app
from sekisho.idp.clock import Clock
from sekisho.idp.config import IdpSettings
from sekisho.idp.services import Services, build_services
from sekisho.idp.tls import ensure_self_signed

__all__ = ["RunningIdp", "running_idp", "serve_forever"]

log = logging.getLogger("sekisho.idp")


@dataclass(slots=True)
class RunningIdp:
    services: Services
    base_url: str
    https_url: str | None
    # The listeners' serve() tasks; one finishing (a signal, a fatal error) means the IdP is shutting down.
    tasks: list[asyncio.Task[None]]


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@contextlib.asynccontextmanager
async def running_idp(settings: IdpSettings, clock: Clock | None = None) -> AsyncIterator[RunningIdp]:
    """Start the listeners in the current loop (port 0 picks free ports) and stop them on exit."""
    http_sock = _bind(settings.host, settings.port)
    https_sock = _bind(settings.host, settings.https_port) if settings.https_port >= 0 else None
    settings = replace(settings, port=http_sock.getsockname()[1])
    if https_sock is not None:
        settings = replace(settings, https_port=https_sock.getsockname()[1])
    svc = await build_services(settings, clock)
    app = build_app(svc)
    servers: list[tuple[uvicorn.Server, socket.socket]] = []
    common = {"lifespan": "off", "log_level": "warning", "access_log": False, "proxy_headers": False}
    servers.append((uvicorn.Server(uvicorn.Config(app, **common)), http_sock))  # type: ignore[arg-type]
    https_url = None
    if https_sock is not None:
        cert, key = ensure_self_signed(settings.data_dir / "tls")
        config = uvicorn.Config(app, ssl_certfile=str(cert), ssl_keyfile=str(key), **common)  # type: ignore[arg-type]
        servers.append((uvicorn.Server(config), https_sock))
        https_url = f"https://{settings.base_url().split('://', 1)[1].rsplit(':', 1)[0]}:{settings.https_port}"
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in servers]
    try:
        while not all(server.started for server, _ in servers):
            if any(task.done() for task in tasks):
                for task in tasks:
                    if task.done():
                        task.result()
                raise RuntimeError("sekisho idp failed to start")
            await asyncio.sleep(0.01)
        yield RunningIdp(svc, settings.base_url(), https_url, tasks)
    finally:
        for server, _ in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, sock in servers:
            sock.close()
        await svc.store.close()


async def serve_forever(settings: IdpSettings) -> None:
    async with running_idp(settings) as idp:
        log.info("sekisho idp listening on %s%s", idp.base_url, f" and {idp.https_url}" if idp.https_url else "")
        print(
            f"sekisho idp: {idp.base_url}" + (f"  {idp.https_url} (self-signed)" if idp.https_url else ""), flush=True
        )
        await asyncio.wait(idp.tasks, return_when=asyncio.FIRST_COMPLETED)
