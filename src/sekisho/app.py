"""The composition root: turns a `NodeConfig` into a running store, runtime, proxy and Admin API.

Nothing else in sekisho wires modules together. Process roles:
- `all`: one process serves everything (`nginx_worker_processes = 1`);
- `supervisor`: the only writer; serves the Admin API and starts the workers (N > 1);
- `worker`: opens its own read-only view of the database and serves the proxy listeners.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sekisho import KONG_COMPAT_VERSION
from sekisho.config import NodeConfig
from sekisho.entities import EntityRegistry
from sekisho.errors import ConfigError
from sekisho.logs import AccessLog
from sekisho.node.prefix import PreparedPrefix
from sekisho.node.sockets import BoundListener
from sekisho.pdk.worker import WorkerNode
from sekisho.plugins import registry as plugin_registry
from sekisho.portal.entities import PORTAL_ENTITIES
from sekisho.proxy.server import ProxyServer
from sekisho.proxy.settings import ProxySettings
from sekisho.runtime.runtime import Runtime
from sekisho.store.base import Database, Row

__all__ = [
    "NodeParts",
    "ProxyHandle",
    "adopt_shared_cluster_secret",
    "build_admin_app",
    "build_parts",
    "load_startup_declarative",
    "proxy_settings",
    "serve_admin",
    "serve_asgi",
    "serve_status",
    "start_portal",
    "start_proxy",
    "stop_admin",
]

log = logging.getLogger("sekisho.node")


@dataclass(slots=True)
class NodeParts:
    """What every process role builds first: plugins, entity schemas, the database."""

    config: NodeConfig
    prepared: PreparedPrefix
    plugins: plugin_registry.PluginRegistry
    registry: EntityRegistry
    db: Database
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def node_id(self) -> str:
        return self.prepared.node_id

    async def all_rows(self) -> dict[str, list[Row]]:
        return {name: await self.db.all(name) for name in self.registry.names()}


async def adopt_shared_cluster_secret(parts: NodeParts) -> None:
    """Without a configured `cluster_secret`, nodes sharing a database (and every worker of a node) use one
    secret generated once and kept in that database, so sessions sealed by one node open on the others.
    DB-less nodes keep `<prefix>/cluster.secret`."""
    if parts.config.cluster_secret or parts.config.database not in ("sqlite", "postgres"):
        return
    shared = await parts.db.shared_secret("cluster")
    secret = hashlib.sha256(b"sekisho-cluster-secret:" + shared.hex().encode()).digest()
    parts.prepared = dataclasses.replace(parts.prepared, cluster_secret=secret)


def build_parts(config: NodeConfig, prepared: PreparedPrefix) -> NodeParts:
    """Plugins, entity schemas and a (not yet connected) Database. DB-less worker processes get an empty
    read-only memory Database that the supervisor fills over the control channel."""
    plugins = plugin_registry.PluginRegistry.load(config.plugins)
    # The portal's entities (developers, files, workspaces, ...) are always known, like Kong Enterprise's.
    registry = EntityRegistry(plugins.config_schema, [*plugins.entities(), *PORTAL_ENTITIES], plugins.scope_rules)
    from sekisho.store.factory import open_database

    strategy = config.database
    db = open_database(
        strategy,
        registry=registry,
        node_id=prepared.node_id,
        sqlite_path=str(config.sqlite_file) if strategy == "sqlite" else None,
        pg_params=_asyncpg_params(config) if strategy == "postgres" else None,
    )
    return NodeParts(config, prepared, plugins, registry, db)


def _asyncpg_params(config: NodeConfig) -> dict[str, Any]:
    params: dict[str, Any] = {
        "host": config.pg_host,
        "port": config.pg_port,
        "user": config.pg_user,
        "database": config.pg_database,
        "timeout": config.pg_timeout / 1000.0,
        "max_size": config.pg_pool_size,
        "min_size": 1,
    }
    if config.pg_password:
        params["password"] = config.pg_password
    if config.pg_ssl:
        context = ssl.create_default_context()
        if not config.pg_ssl_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        params["ssl"] = context
    if config.pg_schema:
        params["server_settings"] = {"search_path": config.pg_schema}
    return params


async def load_startup_declarative(config: NodeConfig, parts: NodeParts) -> int:
    """DB-less: load `declarative_config` (file) or `declarative_config_string`; returns the entity count."""
    if config.database != "off":
        return 0
    text: str | None = None
    source = "declarative_config_string"
    if config.declarative_config:
        source = "declarative_config"
        try:
            text = await asyncio.to_thread(Path(config.declarative_config).read_text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                "declarative_config", f"cannot read {config.declarative_config}: {exc.strerror}"
            ) from None
    elif config.declarative_config_string:
        text = config.declarative_config_string
    if text is None:
        return 0
    from sekisho.errors import DeclarativeError
    from sekisho.store import declarative

    try:
        parsed = await declarative.parse_document(text, parts.registry)
    except DeclarativeError as exc:
        raise ConfigError(source, exc.message) from None
    await parts.db.load_declarative(parsed.entities)
    parts.extra["declarative_hash"] = parsed.config_hash
    return sum(len(rows) for rows in parsed.entities.values())


# -- proxy ----------------------------------------------------------------------------------------------
def proxy_settings(config: NodeConfig, prepared: PreparedPrefix) -> ProxySettings:
    cert = config.ssl_cert or str(prepared.default_cert)
    key = config.ssl_cert_key or str(prepared.default_key)
    return ProxySettings(
        trusted_ips=config.trusted_ips,
        real_ip_header=config.real_ip_header,
        real_ip_recursive=config.real_ip_recursive,
        headers=config.headers,
        client_max_body_size=config.client_max_body_size,
        client_body_buffer_size=config.client_body_buffer_size,
        error_default_type=config.error_default_type,
        allow_debug_header=config.allow_debug_header,
        max_request_line_size=config.large_client_header_buffers[1],
        max_header_line_size=config.large_client_header_buffers[1],
        max_headers_size=config.large_client_header_buffers[0] * config.large_client_header_buffers[1],
        default_cert_path=cert,
        default_key_path=key,
        node_id=prepared.node_id,
        hostname=socket.gethostname(),
        cluster_secret=prepared.cluster_secret,
        upstream_keepalive_pool_size=config.upstream_keepalive_pool_size,
        upstream_keepalive_max_requests=config.upstream_keepalive_max_requests,
        upstream_keepalive_idle_timeout=config.upstream_keepalive_idle_timeout,
    )


class ProxyHandle:
    """A running proxy: its runtime (snapshot) and server."""

    def __init__(self, runtime: Runtime, server: ProxyServer | None) -> None:
        self.runtime = runtime
        self.server = server
        # The database's configuration version read *before* the last rebuild began: a change committed while
        # rows were being read makes the version differ again, so the next check rebuilds once more.
        self.loaded_version = -1

    async def reload(self) -> None:
        db = self.runtime.db
        before = await db.config_version() if db is not None else 0
        await self.runtime.reload()
        self.loaded_version = before

    def invalidate(self, entity: str) -> None:
        """Drop `kong.cache` entries of `entity`; a whole new declarative configuration drops them all."""
        if entity == "declarative":
            self.runtime.cache.clear()
        else:
            self.runtime.invalidate(entity)

    async def close(self, drain_seconds: float) -> None:
        if self.server is not None:
            await self.server.stop(drain_seconds)


async def start_proxy(
    parts: NodeParts,
    listeners: Sequence[BoundListener],
    *,
    access_log: AccessLog | None,
    reload_first: bool = True,
) -> ProxyHandle:
    """Build the runtime over `parts.db`, load the first snapshot, and serve `listeners`."""
    settings = proxy_settings(parts.config, parts.prepared)
    runtime = Runtime(parts.plugins, db=parts.db)
    handle = ProxyHandle(runtime, None)
    if reload_first:
        await handle.reload()
    await runtime.init_worker(WorkerNode(parts.node_id, socket.gethostname(), parts.prepared.cluster_secret))
    if not listeners:
        return handle
    log_hook = access_log.write if access_log is not None else None
    server = ProxyServer(
        runtime,
        settings,
        sockets=[(listener.sock, listener.spec.ssl) for listener in listeners],
        access_log=log_hook,
    )
    await server.start()
    handle.server = server
    return handle


# -- Admin API ------------------------------------------------------------------------------------------
def build_admin_app(
    parts: NodeParts,
    *,
    server_counters: Callable[[], Mapping[str, int]] | None = None,
    health: Any = None,
) -> Any:
    """The Admin API (with the portal's Admin routes) over this node's Database. Change propagation to the
    proxy happens through the Database's change events, not here."""
    from sekisho.admin import build_admin_app as build
    from sekisho.admin.context import AdminContext

    declarative: Any = None
    if parts.config.database == "off":
        from sekisho.store.declarative import DeclarativeService

        service = DeclarativeService(parts.db)
        service.remember(parts.extra.get("declarative_hash"))
        declarative = service
    context = AdminContext(
        db=parts.db,
        plugins=parts.plugins,
        node_id=parts.node_id,
        hostname=socket.gethostname(),
        configuration=parts.config.to_kong_dict(),
        server_counters=server_counters,
        declarative=declarative,
        health=health,
        version=KONG_COMPAT_VERSION,
        server_header=f"kong/{KONG_COMPAT_VERSION}",
    )
    from sekisho.portal.admin_api import with_portal_admin

    return with_portal_admin(build(context), portal_context_of(parts))


def portal_context_of(parts: NodeParts) -> Any:
    """The portal's context for this node (built once)."""
    if "portal" not in parts.extra:
        from sekisho.portal.serving import portal_context

        parts.extra["portal"] = portal_context(
            parts.config,
            parts.db,
            parts.plugins,
            node_id=parts.node_id,
            cluster_secret=parts.prepared.cluster_secret,
        )
    return parts.extra["portal"]


async def start_portal(parts: NodeParts, gui: Sequence[BoundListener], api: Sequence[BoundListener]) -> Any | None:
    """`portal = on`: prepare the default workspace and serve the portal GUI and API listeners."""
    if not parts.config.portal:
        return None
    from sekisho.portal.build import build_portal, prepare_portal
    from sekisho.portal.serving import serve_portal

    context = portal_context_of(parts)
    await prepare_portal(context)
    config = parts.config
    return await serve_portal(
        build_portal(context),
        gui=[(listener.sock, listener.spec.ssl) for listener in gui],
        api=[(listener.sock, listener.spec.ssl) for listener in api],
        ssl_certfile=config.portal_ssl_cert or str(parts.prepared.default_cert),
        ssl_keyfile=config.portal_ssl_cert_key or str(parts.prepared.default_key),
    )


class _AccessLogMiddleware:
    """ASGI middleware writing one `admin_access_log` line per request."""

    def __init__(self, app: Any, access_log: AccessLog) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        import time

        started = time.time()
        state: dict[str, Any] = {"status": 0, "size": 0}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                state["status"] = message.get("status", 0)
            elif message.get("type") == "http.response.body":
                state["size"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            query = scope.get("query_string", b"").decode("latin-1")
            client = scope.get("client") or ("-", 0)
            self.access_log.write(
                {
                    "client_ip": client[0],
                    "started_at": int(started * 1000),
                    "request": {
                        "method": scope.get("method"),
                        "uri": scope.get("path", "/") + (f"?{query}" if query else ""),
                        "http_version": scope.get("http_version", "1.1"),
                        "headers": headers,
                        "querystring": query,
                    },
                    "response": {"status": state["status"], "size": state["size"]},
                    "latencies": {"request": int((time.time() - started) * 1000)},
                }
            )


async def serve_admin(
    app: Any,
    listeners: Sequence[BoundListener],
    *,
    config: NodeConfig,
    prepared: PreparedPrefix,
    access_log: AccessLog | None,
) -> list[Any]:
    """Serve the Admin API with uvicorn on already bound sockets."""
    cert = config.admin_ssl_cert or str(prepared.default_cert)
    key = config.admin_ssl_cert_key or str(prepared.default_key)
    return await serve_asgi(app, listeners, cert=cert, key=key, access_log=access_log)


async def serve_status(
    parts: NodeParts,
    listeners: Sequence[BoundListener],
    *,
    counters: Callable[[], Mapping[str, int]] | None = None,
) -> list[Any]:
    """The Status API on `status_listen` (nothing when it is `off`)."""
    if not listeners:
        return []
    from sekisho.node.status import build_status_app

    config = parts.config
    cert = config.status_ssl_cert or str(parts.prepared.default_cert)
    key = config.status_ssl_cert_key or str(parts.prepared.default_key)
    access_log = AccessLog.open(config, config.status_access_log)
    return await serve_asgi(build_status_app(parts.db, counters), listeners, cert=cert, key=key, access_log=access_log)


async def serve_asgi(
    app: Any, listeners: Sequence[BoundListener], *, cert: str, key: str, access_log: AccessLog | None
) -> list[Any]:
    """Serve an ASGI app with uvicorn on already bound sockets: one server per TLS setting."""
    import uvicorn

    if access_log is not None:
        app = _AccessLogMiddleware(app, access_log)
    servers: list[Any] = []
    for use_ssl in (False, True):
        socks = [listener.sock for listener in listeners if listener.spec.ssl is use_ssl]
        if not socks:
            continue
        uv_config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            date_header=True,
            ssl_certfile=cert if use_ssl else None,
            ssl_keyfile=key if use_ssl else None,
            timeout_graceful_shutdown=5,
            loop="none",
            http="httptools",
        )
        server = uvicorn.Server(uv_config)
        # `_serve` rather than `serve`: the node owns signal handling, uvicorn must not capture signals.
        task = asyncio.get_running_loop().create_task(server._serve(sockets=socks))
        servers.append((server, task))
    for server, task in servers:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("an HTTP server stopped while starting")
            await asyncio.sleep(0.01)
    return servers


async def stop_admin(servers: Sequence[Any], drain_seconds: float) -> None:
    for server, _task in servers:
        server.should_exit = True
    for _server, task in servers:
        try:
            await asyncio.wait_for(task, drain_seconds)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
