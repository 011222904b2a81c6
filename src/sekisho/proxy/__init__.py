"""The proxy hot path: asyncio + uvloop + httptools protocols, upstream pools, balancing, TLS/SNI.

Wiring, once per worker process (the node does this in `app.py`):

    runtime = Runtime(PluginRegistry.load(conf.plugins), db=database)
    await runtime.reload()                      # first snapshot
    database.subscribe(runtime.on_change)       # or call runtime.invalidate(entity) + reload() yourself
    settings = ProxySettings(trusted_ips=..., node_id=..., cluster_secret=<the cluster's secret>, ...)
    await runtime.init_worker(WorkerNode(settings.node_id, settings.hostname, settings.cluster_secret))
    server = ProxyServer(runtime, settings,
                         listens=[ListenSpec("0.0.0.0", 8000), ListenSpec("0.0.0.0", 8443, ssl=True)],
                         # or sockets=[(bound_socket, is_ssl), ...] bound elsewhere with SO_REUSEPORT
                         access_log=write_access_log)   # called with kong.log.serialize()'s record
    await server.start()
    ...
    await server.stop(grace_seconds)
    runtime.close()                             # stops active health probes

`cluster_secret` must be the same in every worker and node (kong.node.derive_secret builds on it). The
default is random per process, which only suits tests.

Request flow: `server.ClientProtocol` parses with httptools and hands each request head to
`pipeline.Pipeline.begin`, which routes on the current `runtime.snapshot`, runs plugin phases when a
plan has any, and sends the request on a pooled `upstream.UpstreamConnection`; that connection's parser
callbacks drive the response back through the `exchange.Exchange` without a coroutine per chunk.
"""

from __future__ import annotations

from sekisho.proxy.pipeline import AccessLogHook
from sekisho.proxy.server import ProxyServer
from sekisho.proxy.settings import ListenSpec, ProxySettings

__all__ = ["AccessLogHook", "ListenSpec", "ProxyServer", "ProxySettings"]
