"""`sekisho start`: run a node in the foreground until a signal stops it.

One worker (`nginx_worker_processes = 1`): everything on one uvloop loop in this process.
N workers: this process is the supervisor (database writer, Admin API) and starts N proxy workers
(`sekisho.node.worker`) that inherit the proxy sockets and a control socket each. Every committed change
is pushed to the workers at once (DB-less: the whole configuration travels); the Admin API answers after
the workers acknowledged it (at most `PROPAGATION_WAIT`), so a write is visible on the proxy right after;
`worker_consistency = eventual` answers at once and the proxy catches up in the background.

Signals: SIGTERM and SIGINT stop after draining in-flight requests for up to `STOP_TIMEOUT` seconds;
SIGQUIT (`sekisho quit`) drains for up to `QUIT_TIMEOUT`; SIGUSR1 reopens the log files (log rotation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sekisho import __version__
from sekisho.app import (
    NodeParts,
    ProxyHandle,
    adopt_shared_cluster_secret,
    build_admin_app,
    build_parts,
    load_startup_declarative,
    serve_admin,
    serve_status,
    start_portal,
    start_proxy,
    stop_admin,
)
from sekisho.config import ListenSpec, NodeConfig, load_config, write_env_file
from sekisho.errors import ConfigError, SekishoError, StoreError
from sekisho.logs import AccessLog, configure_error_log, reopen_error_log
from sekisho.node.control import ControlChannel
from sekisho.node.prefix import PreparedPrefix, prepare_prefix, remove_pid, write_pid
from sekisho.node.reload import Reloader, watch_shared_database
from sekisho.node.sockets import BoundListener, ListenError, bind_all, bind_listener
from sekisho.store.base import ChangeEvent, Row

__all__ = ["QUIT_TIMEOUT", "STOP_TIMEOUT", "run_node"]

log = logging.getLogger("sekisho.node")

STOP_TIMEOUT: Final = 5.0
QUIT_TIMEOUT: Final = 10.0
# How long an Admin API write waits for the proxy to see it (worker_consistency = strict).
PROPAGATION_WAIT: Final = 3.0
WORKER_READY_TIMEOUT: Final = 60.0
STATS_INTERVAL: Final = 1.0
# What the running supervisor itself was built from: a reload cannot change these (restart the node).
RESTART_ONLY_KEYS: Final = (
    "prefix",
    "proxy_listen",
    "admin_listen",
    "status_listen",
    "database",
    "sqlite_path",
    "pg_host",
    "pg_port",
    "pg_user",
    "pg_password",
    "pg_database",
    "plugins",
    "portal",
    "portal_gui_listen",
    "portal_api_listen",
    "nginx_worker_processes",
    "cluster_secret",
    "node_id",
)


async def open_database(parts: NodeParts, wait_seconds: float = 0.0) -> None:
    """Connect; on PostgreSQL refuse an un-bootstrapped database or pending migrations (SQLite bootstraps itself).
    An unreachable PostgreSQL is retried for `wait_seconds` (`start --db-timeout`: containers start together)."""
    if parts.config.database == "postgres":
        from sekisho.store.migrations import NEEDS_BOOTSTRAP, PENDING, check_ready

        deadline = time.monotonic() + wait_seconds
        waiting_logged = False
        while True:
            try:
                await check_ready(parts.db)
                break
            except StoreError as exc:
                unreachable = not exc.message.startswith((NEEDS_BOOTSTRAP, PENDING))
                if not unreachable or time.monotonic() >= deadline:
                    raise ConfigError("database", exc.message) from None
                if not waiting_logged:
                    log.log(25, "waiting up to %.0f s for the database: %s", wait_seconds, exc.message)
                    waiting_logged = True
                await asyncio.sleep(0.5)
    key = "sqlite_path" if parts.config.database == "sqlite" else "database"
    try:
        await parts.db.connect()
        await adopt_shared_cluster_secret(parts)
    except StoreError as exc:
        raise ConfigError(key, exc.message) from None
    except OSError as exc:
        raise ConfigError(key, f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}") from None


def _install_stop_signals(stop: asyncio.Future[float]) -> None:
    loop = asyncio.get_running_loop()

    def request(timeout: float, name: str) -> None:
        if not stop.done():
            log.log(25, "received %s, stopping (drain up to %.0f s)", name, timeout)
            stop.set_result(timeout)

    loop.add_signal_handler(signal.SIGTERM, request, STOP_TIMEOUT, "SIGTERM")
    loop.add_signal_handler(signal.SIGINT, request, STOP_TIMEOUT, "SIGINT")
    loop.add_signal_handler(signal.SIGQUIT, request, QUIT_TIMEOUT, "SIGQUIT")


def _announce(listeners: Sequence[BoundListener]) -> None:
    for listener in listeners:
        kind = listener.key.removesuffix("_listen")
        log.log(25, "%s listening on %s (%s)", kind, listener.url, listener.spec)


@dataclass(slots=True)
class _Common:
    config: NodeConfig
    prepared: PreparedPrefix
    parts: NodeParts
    proxy_log: AccessLog | None
    admin_log: AccessLog | None
    listeners: list[BoundListener] = field(default_factory=list)

    def close_logs(self) -> None:
        for access_log in (self.proxy_log, self.admin_log):
            if access_log is not None:
                access_log.close()

    def reopen_logs(self) -> None:
        """SIGUSR1 (as for nginx): reopen every log file, e.g. after logrotate moved them."""
        reopen_error_log()
        for access_log in (self.proxy_log, self.admin_log):
            if access_log is not None:
                access_log.reopen()
        log.log(25, "log files reopened")

    def of(self, key: str) -> list[BoundListener]:
        return [listener for listener in self.listeners if listener.key == key]


async def _prepare(config: NodeConfig, *, workers: bool = False, db_timeout: float = 0.0) -> _Common:
    prepared = prepare_prefix(config)
    parts = build_parts(config, prepared)
    await open_database(parts, db_timeout)
    count = await load_startup_declarative(config, parts)
    if config.database == "off" and count:
        log.log(25, "loaded %d entities from the declarative configuration", count)
    groups = {"admin_listen": config.admin_listen, "status_listen": config.status_listen}
    if config.portal:
        groups |= {"portal_gui_listen": config.portal_gui_listen, "portal_api_listen": config.portal_api_listen}
    listeners = bind_all(groups)
    try:
        for spec in config.proxy_listen:
            # `reuseport` with worker processes: each worker listens on its own socket (the kernel balances
            # connections between them); the supervisor only holds the address. Otherwise workers share one.
            per_worker = workers and spec.reuseport and spec.port != 0
            listeners.append(bind_listener("proxy_listen", spec, listen=not per_worker))
    except ListenError:
        for listener in listeners:
            listener.sock.close()
        raise
    return _Common(
        config,
        prepared,
        parts,
        AccessLog.open(config, config.proxy_access_log),
        AccessLog.open(config, config.admin_access_log),
        listeners,
    )


async def run_node(config: NodeConfig, *, db_timeout: float = 0.0) -> int:
    """Run until stopped; returns the process exit status. `db_timeout`: how long to wait for PostgreSQL."""
    write_pid(config.pid_file)
    try:
        for warning in config.warnings:
            log.warning("%s", warning)
        for note in config.notes:
            log.info("%s", note)
        if config.worker_count <= 1:
            return await _run_single(config, db_timeout)
        return await _Supervisor(config).run(db_timeout)
    finally:
        remove_pid(config.pid_file)


# -- one process ----------------------------------------------------------------------------------------
async def _run_single(config: NodeConfig, db_timeout: float) -> int:
    stop: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    _install_stop_signals(stop)
    common = await _prepare(config, db_timeout=db_timeout)
    parts = common.parts
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, common.reopen_logs)
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGHUP,
        lambda: log.warning("reload needs nginx_worker_processes > 1; restart this node to apply changes"),
    )
    proxy: ProxyHandle | None = None
    admin_servers: list[Any] = []
    reloader: Reloader | None = None
    poller: asyncio.Task[None] | None = None
    try:
        proxy = await start_proxy(parts, common.of("proxy_listen"), access_log=common.proxy_log)
        reloader = Reloader(proxy.reload)
        reloader.start()
        active = reloader

        async def on_change(event: ChangeEvent) -> None:
            if proxy is not None:
                proxy.invalidate(event.entity)
            if config.worker_consistency == "strict":
                await active.request_and_wait(PROPAGATION_WAIT)
            else:
                active.request()

        parts.db.subscribe(on_change)
        if common.of("admin_listen"):
            from sekisho.admin.health import RuntimeHealth

            app = build_admin_app(parts, health=RuntimeHealth(proxy.runtime), server_counters=_counters_of(proxy))
            admin_servers = await serve_admin(
                app, common.of("admin_listen"), config=config, prepared=common.prepared, access_log=common.admin_log
            )
        admin_servers += await serve_status(parts, common.of("status_listen"), counters=_counters_of(proxy))
        admin_servers += await _portal_servers(parts, common)
        poller = asyncio.get_running_loop().create_task(
            watch_shared_database(parts.db, config.db_update_frequency, proxy, reloader)
        )
        _announce(common.listeners)
        log.log(25, "sekisho %s started (pid %d, 1 worker, database %s)", __version__, os.getpid(), config.database)
        timeout = await stop
        admin_close = asyncio.gather(stop_admin(admin_servers, timeout))
        await proxy.close(timeout)
        await admin_close
        return 0
    finally:
        if poller is not None:
            poller.cancel()
        if reloader is not None:
            await reloader.stop()
        for listener in common.listeners:
            listener.sock.close()
        common.close_logs()
        await parts.db.close()
        log.log(25, "sekisho stopped")


async def _portal_servers(parts: NodeParts, common: _Common) -> list[Any]:
    portal = await start_portal(parts, common.of("portal_gui_listen"), common.of("portal_api_listen"))
    return list(portal.servers) if portal is not None else []


def _counters_of(proxy: ProxyHandle) -> Callable[[], Mapping[str, int]]:
    def counters() -> Mapping[str, int]:
        server = proxy.server
        return {"connections_active": len(server.connections) if server is not None else 0}

    return counters


# -- supervisor -----------------------------------------------------------------------------------------
def _bound_by_worker(spec: ListenSpec, held: Sequence[BoundListener]) -> bool:
    return any(listener.spec is spec for listener in held)


@dataclass(slots=True)
class _Worker:
    index: int
    process: asyncio.subprocess.Process | None = None
    channel: ControlChannel | None = None
    acked: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    started_at: float = 0.0
    restarts: int = 0
    retired: bool = False  # replaced by a reload: its exit is expected, it is not restarted
    counters: dict[str, int] = field(default_factory=dict)


class _Supervisor:
    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.workers = [_Worker(i) for i in range(config.worker_count)]
        self.seq = 0
        self.stopping = False
        self.acked = asyncio.Condition()
        self.common: _Common | None = None
        self.tasks: list[asyncio.Task[Any]] = []
        self.reloading: asyncio.Task[None] | None = None

    async def run(self, db_timeout: float = 0.0) -> int:
        stop: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        _install_stop_signals(stop)
        self.common = common = await _prepare(self.config, workers=True, db_timeout=db_timeout)
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, self._reopen_logs)
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._request_reload)
        admin_servers: list[Any] = []
        try:
            for worker in self.workers:
                await self._spawn(worker)
            try:
                async with asyncio.timeout(WORKER_READY_TIMEOUT):
                    await asyncio.gather(*(w.ready.wait() for w in self.workers))
            except TimeoutError:
                log.error("workers did not become ready within %.0f s", WORKER_READY_TIMEOUT)
                return 1
            common.parts.db.subscribe(self._on_change)
            if common.of("admin_listen"):
                self.tasks.append(asyncio.get_running_loop().create_task(self._collect_stats()))
                app = build_admin_app(common.parts, health=self._health(), server_counters=self._counters)
                admin_servers = await serve_admin(
                    app,
                    common.of("admin_listen"),
                    config=self.config,
                    prepared=common.prepared,
                    access_log=common.admin_log,
                )
            admin_servers += await serve_status(common.parts, common.of("status_listen"), counters=self._counters)
            admin_servers += await _portal_servers(common.parts, common)
            _announce(common.listeners)
            log.log(
                25,
                "sekisho %s started (pid %d, %d workers, database %s)",
                __version__,
                os.getpid(),
                len(self.workers),
                self.config.database,
            )
            timeout = await stop
            self.stopping = True
            await stop_admin(admin_servers, timeout)
            await self._stop_workers(timeout)
            return 0
        finally:
            self.stopping = True
            for task in self.tasks:
                task.cancel()
            for worker in self.workers:
                if worker.process is not None and worker.process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        worker.process.kill()
            for listener in common.listeners:
                listener.sock.close()
            common.close_logs()
            await common.parts.db.close()
            log.log(25, "sekisho stopped")

    def _counters(self) -> Mapping[str, int]:
        """`/status` server counters: the sum over live workers (refreshed every `STATS_INTERVAL`)."""
        total: dict[str, int] = {}
        for worker in self.workers:
            if worker.process is not None and worker.process.returncode is None:
                for name, value in worker.counters.items():
                    total[name] = total.get(name, 0) + value
        return total

    async def _collect_stats(self) -> None:
        while not self.stopping:
            await self._broadcast({"op": "stats"})
            await asyncio.sleep(STATS_INTERVAL)

    def _request_reload(self) -> None:
        """SIGHUP (`sekisho reload`): re-read the configuration and replace the workers one by one."""
        if self.reloading is None or self.reloading.done():
            self.reloading = asyncio.get_running_loop().create_task(self._rolling_reload())
            self.tasks.append(self.reloading)

    async def _rolling_reload(self) -> None:
        try:
            fresh = load_config(self.config.conf_file, overrides={"prefix": str(self.config.prefix)})
        except SekishoError as exc:
            log.error("reload refused, the running configuration stays: %s", exc)
            return
        fixed = [key for key in RESTART_ONLY_KEYS if getattr(fresh, key) != getattr(self.config, key)]
        if fixed:
            log.error("reload refused: changing %s needs a restart", ", ".join(fixed))
            return
        write_env_file(fresh)
        configure_error_log(fresh)
        self.config = fresh
        log.log(25, "reloading: replacing %d workers one by one", len(self.workers))
        for index, old in enumerate(list(self.workers)):
            if self.stopping:
                return
            new = _Worker(index)
            self.workers[index] = new
            await self._spawn(new)
            try:
                async with asyncio.timeout(WORKER_READY_TIMEOUT):
                    await new.ready.wait()
            except TimeoutError:
                log.error("reload: the new worker #%d did not become ready; keeping the old one", index)
                new.retired = True
                if new.process is not None and new.process.returncode is None:
                    new.process.kill()
                self.workers[index] = old
                return
            old.retired = True
            if old.channel is not None:
                with contextlib.suppress(ConnectionError, OSError):
                    await old.channel.send({"op": "stop", "timeout": QUIT_TIMEOUT})
        log.log(25, "reload complete")

    def _reopen_logs(self) -> None:
        assert self.common is not None
        self.common.reopen_logs()
        for worker in self.workers:
            if worker.process is not None and worker.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.send_signal(signal.SIGUSR1)

    async def _spawn(self, worker: _Worker) -> None:
        assert self.common is not None
        parent_sock, child_sock = socket.socketpair()
        proxies = [listener for listener in self.common.of("proxy_listen") if listener.listening]
        own = [listener for listener in self.common.of("proxy_listen") if not listener.listening]
        fds = [child_sock.fileno()] + [listener.sock.fileno() for listener in proxies]
        args = [
            sys.executable,
            "-m",
            "sekisho.node.worker",
            "--prefix",
            str(self.config.prefix),
            "--index",
            str(worker.index),
            "--control-fd",
            str(child_sock.fileno()),
            "--listen",
            ",".join(f"{listener.sock.fileno()}:{int(listener.spec.ssl)}" for listener in proxies),
            "--bind",
            ",".join(str(index) for index, spec in enumerate(self.config.proxy_listen) if _bound_by_worker(spec, own)),
        ]
        worker.ready = asyncio.Event()
        worker.started_at = time.monotonic()
        # A session of its own: a terminal's Ctrl-C reaches the supervisor only, which stops workers in order.
        # Workers still exit when the supervisor dies, as their control socket closes.
        worker.process = await asyncio.create_subprocess_exec(*args, pass_fds=fds, start_new_session=True)
        child_sock.close()
        worker.channel = await ControlChannel.open(parent_sock)
        worker.acked = self.seq
        self.tasks.append(asyncio.get_running_loop().create_task(self._listen(worker)))
        self.tasks.append(asyncio.get_running_loop().create_task(self._watch(worker)))
        if self.config.database == "off":
            await worker.channel.send({"op": "load", "seq": self.seq, "entities": await self.common.parts.all_rows()})

    async def _listen(self, worker: _Worker) -> None:
        channel = worker.channel
        assert channel is not None
        while True:
            message = await channel.receive()
            if message is None:
                return
            op = message.get("op")
            if op == "ready":
                log.info("worker #%d (pid %s) ready", worker.index, message.get("pid"))
                worker.ready.set()
            elif op == "stats":
                worker.counters = {k: v for k, v in message.items() if isinstance(v, int) and k != "worker"}
            elif op == "reloaded":
                seq = message.get("seq")
                if isinstance(seq, int):
                    worker.acked = max(worker.acked, seq)
                    async with self.acked:
                        self.acked.notify_all()

    async def _watch(self, worker: _Worker) -> None:
        process = worker.process
        assert process is not None
        code = await process.wait()
        if worker.channel is not None:
            worker.channel.close()
        if self.stopping or worker.retired:
            return
        log.error("worker #%d (pid %d) exited with status %s; restarting it", worker.index, process.pid, code)
        worker.restarts += 1
        quick = time.monotonic() - worker.started_at < 2.0
        await asyncio.sleep(min(5.0, 0.5 * worker.restarts) if quick else 0.1)
        if not self.stopping:
            await self._spawn(worker)

    async def _on_change(self, event: ChangeEvent) -> None:
        assert self.common is not None
        self.seq += 1
        seq = self.seq
        if self.config.database == "off":
            message: dict[str, Any] = {"op": "load", "seq": seq, "entities": await self.common.parts.all_rows()}
        else:
            message = {"op": "reload", "seq": seq, "entity": event.entity}
        live = [w for w in self.workers if w.channel is not None and w.process and w.process.returncode is None]
        for worker in live:
            assert worker.channel is not None
            try:
                await worker.channel.send(message)
            except (ConnectionError, OSError):
                log.warning("worker #%d did not take the change notification", worker.index)
        if self.config.worker_consistency != "strict":
            return
        try:
            async with asyncio.timeout(PROPAGATION_WAIT), self.acked:
                await self.acked.wait_for(lambda: all(w.acked >= seq for w in live if w.ready.is_set()))
        except TimeoutError:
            log.warning("workers did not confirm configuration change #%d within %.0f s", seq, PROPAGATION_WAIT)

    def _health(self) -> Any:
        """Admin health endpoints: states set through the Admin API are pushed to every worker."""
        from sekisho.admin.health import RuntimeHealth
        from sekisho.runtime import Runtime

        assert self.common is not None
        local = RuntimeHealth(Runtime(self.common.parts.plugins))
        supervisor = self

        class BroadcastHealth:
            async def target_health(self, upstream: Row, targets: list[Row]) -> Mapping[str, str]:
                return await local.target_health(upstream, targets)

            async def balancer_health(self, upstream: Row, targets: list[Row]) -> str:
                return await local.balancer_health(upstream, targets)

            async def set_target_health(self, upstream: Row, target: Row, address: str | None, healthy: bool) -> None:
                await local.set_target_health(upstream, target, address, healthy)
                await supervisor._broadcast(
                    {
                        "op": "health",
                        "upstream": str(upstream["id"]),
                        "target": str(target["target"]),
                        "healthy": healthy,
                    }
                )

        return BroadcastHealth()

    async def _broadcast(self, message: dict[str, Any]) -> None:
        for worker in self.workers:
            if worker.channel is not None and worker.process is not None and worker.process.returncode is None:
                with contextlib.suppress(ConnectionError, OSError):
                    await worker.channel.send(message)

    async def _stop_workers(self, drain_seconds: float) -> None:
        for worker in self.workers:
            if worker.channel is not None:
                with contextlib.suppress(ConnectionError, OSError):
                    await worker.channel.send({"op": "stop", "timeout": drain_seconds})
        processes = [w.process for w in self.workers if w.process is not None]
        try:
            async with asyncio.timeout(drain_seconds + 2):
                await asyncio.gather(*(p.wait() for p in processes))
        except TimeoutError:
            for process in processes:
                if process.returncode is None:
                    log.warning("worker pid %d did not stop in time; killing it", process.pid)
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
