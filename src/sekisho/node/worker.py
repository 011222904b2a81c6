"""A proxy worker process, started by the supervisor: `python -m sekisho.node.worker --prefix P --index N
--control-fd FD --listen FD:SSL,...`. It reads the effective configuration from the prefix, opens its own
view of the database, serves the inherited proxy sockets, and reloads its snapshot when told (or when the
database's configuration version moves, for changes made by other nodes)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from sekisho.app import ProxyHandle, adopt_shared_cluster_secret, build_parts, start_proxy
from sekisho.config import ListenSpec, config_from_env_file
from sekisho.errors import SekishoError
from sekisho.logs import AccessLog, configure_error_log, reopen_error_log
from sekisho.node.control import ControlChannel
from sekisho.node.prefix import prepared_prefix_of
from sekisho.node.reload import Reloader, watch_shared_database
from sekisho.node.sockets import BoundListener, bind_listener
from sekisho.runtime.heap import HeapSettler, settle_heap, tune_collector

__all__ = ["main"]

log = logging.getLogger("sekisho.worker")


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sekisho-worker")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--listen", default="")
    parser.add_argument("--bind", default="", help="indexes of proxy_listen entries this worker binds itself")
    return parser.parse_args(argv)


def _inherited(listen: str) -> list[BoundListener]:
    out = []
    for item in filter(None, listen.split(",")):
        fd, _, use_ssl = item.partition(":")
        sock = socket.socket(fileno=int(fd))
        sock.setblocking(False)
        host, port = sock.getsockname()[:2]
        out.append(BoundListener("proxy_listen", ListenSpec(host, port, ssl=use_ssl == "1"), sock))
    return out


async def _serve(args: argparse.Namespace) -> int:
    config = config_from_env_file(Path(args.prefix))
    configure_error_log(config, worker=args.index)
    parts = build_parts(config, prepared_prefix_of(config))
    await parts.db.connect()
    await adopt_shared_cluster_secret(parts)
    channel = await ControlChannel.open(socket.socket(fileno=args.control_fd))
    stop: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    # The supervisor decides when to stop; a terminal's Ctrl-C reaches the whole process group.
    loop.add_signal_handler(signal.SIGINT, lambda: None)
    loop.add_signal_handler(signal.SIGQUIT, lambda: None)
    loop.add_signal_handler(signal.SIGHUP, lambda: None)  # reloads are the supervisor's business
    loop.add_signal_handler(signal.SIGTERM, _finish, stop, 5.0)

    first_seq = 0
    if config.database == "off":
        first = await channel.receive()
        if first is None or first.get("op") != "load":
            log.error("worker #%d: the supervisor sent no configuration", args.index)
            return 1
        await parts.db.load_declarative(first.get("entities") or {})
        first_seq = int(first.get("seq") or 0)
        del first  # the whole configuration as received: do not keep it for the worker's lifetime
    access_log = AccessLog.open(config, config.proxy_access_log)
    loop.add_signal_handler(signal.SIGUSR1, _reopen_logs, access_log)
    listeners = _inherited(args.listen)
    for index in filter(None, args.bind.split(",")):
        listeners.append(bind_listener("proxy_listen", config.proxy_listen[int(index)], reuseport=True))
    proxy = await start_proxy(parts, listeners, access_log=access_log)
    tune_collector()
    settle_heap()
    heap = HeapSettler(loop)
    proxy.runtime.subscribe(heap.snapshot_installed)
    reloader = Reloader(proxy.reload)
    reloader.start()
    await channel.send({"op": "ready", "worker": args.index, "pid": os.getpid(), "seq": first_seq})
    tasks = [
        loop.create_task(_control_loop(channel, parts, proxy, reloader, stop, args.index)),
        loop.create_task(watch_shared_database(parts.db, config.db_update_frequency, proxy, reloader)),
    ]
    timeout = await stop
    heap.cancel()
    for task in tasks:
        task.cancel()
    await proxy.close(timeout)
    await reloader.stop()
    if access_log is not None:
        access_log.close()
    await parts.db.close()
    return 0


async def _control_loop(
    channel: ControlChannel,
    parts: Any,
    proxy: ProxyHandle,
    reloader: Reloader,
    stop: asyncio.Future[float],
    index: int,
) -> None:
    while True:
        message = await channel.receive()
        if message is None:
            log.warning("worker #%d: supervisor gone, stopping", index)
            if not stop.done():
                stop.set_result(5.0)
            return
        op = message.get("op")
        if op == "load":
            await parts.db.load_declarative(message.get("entities") or {})
            proxy.invalidate("declarative")
            await reloader.request_and_wait(30.0)
        elif op == "reload":
            if isinstance(message.get("entity"), str):
                proxy.invalidate(message["entity"])
            await reloader.request_and_wait(30.0)
        elif op == "stats":
            server = proxy.server
            active = len(server.connections) if server is not None else 0
            with contextlib.suppress(ConnectionError, OSError):
                await channel.send({"op": "stats", "worker": index, "connections_active": active})
        elif op == "health":
            proxy.runtime.health(str(message.get("upstream")), str(message.get("target"))).reset(
                bool(message.get("healthy"))
            )
        elif op == "stop":
            if not stop.done():
                stop.set_result(float(message.get("timeout") or 5.0))
            return
        if "seq" in message:
            with contextlib.suppress(ConnectionError, OSError):
                await channel.send({"op": "reloaded", "worker": index, "seq": message["seq"]})


def _reopen_logs(access_log: AccessLog | None) -> None:
    reopen_error_log()
    if access_log is not None:
        access_log.reopen()
    log.log(25, "log files reopened")


def _finish(stop: asyncio.Future[float], drain_seconds: float) -> None:
    if not stop.done():
        stop.set_result(drain_seconds)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    # httpx (outbound OpenID Connect calls) imports its command-line client when it can, which drags rich,
    # pygments and click into every worker: several megabytes each for nothing. httpx expects that import to
    # fail when the CLI extras are missing; make it fail here.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    try:
        import uvloop

        return int(uvloop.run(_serve(args)))
    except SekishoError as exc:
        log.critical("worker #%d cannot start: %s", args.index, exc)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
