"""The proxy hot path: asyncio + uvloop + httptools protocols, upstream pools, balancing, TLS/SNI.

Wiring (one per worker process):

    runtime = Runtime(registry, db=database); await runtime.reload()
    server = ProxyServer(runtime, ProxySettings(...), listens=[ListenSpec("0.0.0.0", 8000)],
                         access_log=write_access_log)
    await server.start(); ...; await server.stop()
"""

from __future__ import annotations

from sekisho.proxy.pipeline import AccessLogHook
from sekisho.proxy.server import ProxyServer
from sekisho.proxy.settings import ListenSpec, ProxySettings

__all__ = ["AccessLogHook", "ListenSpec", "ProxyServer", "ProxySettings"]
