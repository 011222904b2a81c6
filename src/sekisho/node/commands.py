"""The CLI verbs that act on a node: start, stop, quit, health, check, prepare, config, migrations, demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sekisho.config import NodeConfig, load_config
from sekisho.errors import ConfigError, DeclarativeError, StoreError
from sekisho.logs import configure_error_log
from sekisho.node.prefix import node_running, prepare_prefix, prepared_prefix_of, process_alive

__all__ = ["check", "config", "demo", "health", "migrations", "prepare", "quit_", "reload", "start", "stop"]

T = TypeVar("T")


def _load(args: argparse.Namespace) -> NodeConfig:
    overrides = {}
    if getattr(args, "prefix", None):
        overrides["prefix"] = args.prefix
    return load_config(getattr(args, "conf", None), overrides=overrides)


def _run(coro: Awaitable[T]) -> T:
    import uvloop

    async def wrapper() -> T:
        return await coro

    return uvloop.run(wrapper())


# -- start / stop / quit / health -----------------------------------------------------------------------
def start(args: argparse.Namespace) -> int:
    config = _load(args)
    configure_error_log(config, verbose=args.vv)
    if args.vv:
        for name, value in config.to_kong_dict().items():
            print(f"{name} = {json.dumps(value)}", file=sys.stderr)
    from sekisho.node.runner import run_node

    if args.run_migrations and config.database != "off":
        _run(_migrate(config, "start"))
    return _run(run_node(config, db_timeout=args.db_timeout))


def _signal_and_wait(args: argparse.Namespace, sig: signal.Signals, done_message: str) -> int:
    config = _load(args)
    pid = node_running(config.pid_file)
    if pid is None:
        print(f"Error: sekisho is not running in {config.prefix}", file=sys.stderr)
        return 1
    os.kill(pid, sig)
    deadline = time.monotonic() + args.timeout
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if process_alive(pid):
        os.kill(pid, signal.SIGKILL)
        print(f"sekisho did not stop within {args.timeout:g} s; killed pid {pid}", file=sys.stderr)
    print(done_message)
    return 0


def stop(args: argparse.Namespace) -> int:
    return _signal_and_wait(args, signal.SIGTERM, "sekisho stopped")


def quit_(args: argparse.Namespace) -> int:
    return _signal_and_wait(args, signal.SIGQUIT, "sekisho stopped (gracefully)")


def reload(args: argparse.Namespace) -> int:
    """SIGHUP: the supervisor re-reads the configuration and replaces its workers one by one."""
    config = _load(args)
    pid = node_running(config.pid_file)
    if pid is None:
        print(f"Error: sekisho is not running in {config.prefix}", file=sys.stderr)
        return 1
    os.kill(pid, signal.SIGHUP)
    print(f"sekisho reloading (pid {pid}); the error log says when it is complete")
    return 0


def health(args: argparse.Namespace) -> int:
    config = _load(args)
    pid = node_running(config.pid_file)
    if pid is None:
        print(f"sekisho.......not running\n\nError: sekisho is not running at {config.prefix}", file=sys.stderr)
        return 1
    print(f"sekisho.......running (pid {pid})\n\nsekisho is healthy at {config.prefix}")
    return 0


def check(args: argparse.Namespace) -> int:
    config = load_config(args.conf)
    where = config.conf_file or "defaults and environment"
    for warning in config.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    if args.vv:
        print(config.to_conf_text(), end="")
    if config.database == "off" and (config.declarative_config or config.declarative_config_string):
        # DB-less: the declarative configuration is part of what must be valid to start.
        text = _read_text(Path(config.declarative_config)) if config.declarative_config else ""
        if _run(_config_parse(config, text or str(config.declarative_config_string), quiet=True)) != 0:
            return 1
    print(f"configuration at {where} is valid")
    return 0


def prepare(args: argparse.Namespace) -> int:
    config = _load(args)
    prepared = prepare_prefix(config)
    print(f"prefix {config.prefix} prepared (node id {prepared.node_id})")
    return 0


# -- config ---------------------------------------------------------------------------------------------
SAMPLE_DECLARATIVE = """\
# A sample declarative configuration (kong.yml) for DB-less mode:
#   sekisho start with database = off and declarative_config = kong.yml
_format_version: "3.0"
_transform: true

services:
- name: example-service
  url: http://127.0.0.1:9000/
  routes:
  - name: example-route
    paths:
    - /example

upstreams:
- name: example-upstream
  targets:
  - target: 127.0.0.1:9001
    weight: 100
  - target: 127.0.0.1:9002
    weight: 100
"""


def config(args: argparse.Namespace) -> int:
    action = args.config_command
    if action == "init":
        path = Path(args.file)
        if path.exists():
            raise ConfigError("config init", f"{path} already exists")
        path.write_text(SAMPLE_DECLARATIVE, encoding="utf-8")
        print(f"declarative configuration written to {path}")
        return 0
    node_config = _load(args)
    if action == "parse":
        return _run(_config_parse(node_config, Path(args.file)))
    if action == "db_import":
        return _run(_config_db_import(node_config, Path(args.file)))
    if action == "db_export":
        return _run(_config_db_export(node_config, Path(args.file)))
    print("usage: sekisho config init|parse|db_import|db_export", file=sys.stderr)
    return 2


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("declarative_config", f"cannot read {path}: {exc.strerror}") from None


async def _with_db(config: NodeConfig, action: Callable[[Any], Awaitable[T]], *, connect: bool = True) -> T:
    from sekisho.app import build_parts

    config.prefix.mkdir(parents=True, exist_ok=True)
    parts = build_parts(config, prepared_prefix_of(config))
    if connect:
        await parts.db.connect()
    try:
        return await action(parts)
    finally:
        await parts.db.close()


async def _config_parse(config: NodeConfig, source: Path | str, *, quiet: bool = False) -> int:
    """Validate a declarative file (a `Path`) or document (a `str`); print the problems."""
    from sekisho.store import declarative

    text = _read_text(source) if isinstance(source, Path) else source

    async def parse(parts: Any) -> int:
        problems = await declarative.check_declarative(text, parts.registry)
        if problems:
            print("Error: failed parsing declarative configuration:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        if not quiet:
            print(f"parse successful: {source}")
        return 0

    return await _with_db(config, parse, connect=False)


async def _config_db_import(config: NodeConfig, path: Path) -> int:
    from sekisho.store import declarative

    if config.database == "off":
        raise ConfigError("database", "config db_import needs a database (postgres or sqlite)")
    text = _read_text(path)

    async def run(parts: Any) -> int:
        try:
            counts = await declarative.db_import(parts.db, text)
        except (DeclarativeError, StoreError) as exc:
            print(f"Error: failed importing declarative configuration: {exc.message}", file=sys.stderr)
            return 1
        print("parse successful")
        for entity, count in counts.items():
            print(f"  {entity}: {count}")
        print(f"import successful: {path}")
        return 0

    return await _with_db(config, run)


async def _config_db_export(config: NodeConfig, path: Path) -> int:
    from sekisho.store import declarative

    if config.database == "off":
        raise ConfigError("database", "config db_export needs a database (postgres or sqlite)")
    if await asyncio.to_thread(path.exists):
        raise ConfigError("config db_export", f"{path} already exists; remove it or name another file")

    async def run(parts: Any) -> int:
        text = await declarative.export_yaml(parts.db)
        await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        print(f"exported configuration to {path}")
        return 0

    return await _with_db(config, run)


# -- migrations -----------------------------------------------------------------------------------------
def migrations(args: argparse.Namespace) -> int:
    config = _load(args)
    action = args.migrations_command
    if action is None:
        print("usage: sekisho migrations bootstrap|up|finish|list|reset", file=sys.stderr)
        return 2
    if config.database == "off":
        print("Error: migrations need a database (database = postgres or sqlite)", file=sys.stderr)
        return 1
    if action == "reset" and not args.yes:
        answer = input(f"Are you sure? This operation is irreversible. [y/n] ({config.database}) ")
        if answer.strip().lower() not in ("y", "yes"):
            print("canceled")
            return 0
    return _run(_migrate(config, action))


async def _migrate(config: NodeConfig, action: str) -> int:
    from sekisho.store import migrations as store_migrations

    async def run(parts: Any) -> int:
        if action == "bootstrap":
            done = await store_migrations.bootstrap(parts.db)
            print(
                f"bootstrapping database: {len(done)} migrations executed" if done else "database already bootstrapped"
            )
            print("database is up-to-date")
        elif action == "start":  # `start --run-migrations`: bootstrap a new database, upgrade an old one
            status = await store_migrations.list_migrations(parts.db)
            if not status.bootstrapped:
                await store_migrations.bootstrap(parts.db)
            elif status.pending:
                await store_migrations.up(parts.db)
        elif action in ("up", "finish"):
            done = await store_migrations.up(parts.db)
            for name in done:
                print(f"migrating: {name} ok")
            print(f"{len(done)} migrations processed" if done else "database is already up-to-date")
        elif action == "list":
            status = await store_migrations.list_migrations(parts.db)
            if not status.bootstrapped:
                print("database needs bootstrapping; run 'sekisho migrations bootstrap'")
                return 3
            print(f"executed migrations: {', '.join(status.executed) or '-'}")
            print(f"pending migrations: {', '.join(status.pending) or '-'}")
            return 5 if status.pending else 0
        elif action == "reset":
            await store_migrations.reset(parts.db)
            print("database reset")
        return 0

    # The migration functions connect by themselves: a regular connect may refuse an empty database.
    return await _with_db(config, run, connect=False)


# -- demo -----------------------------------------------------------------------------------------------
def demo(args: argparse.Namespace) -> int:
    from sekisho.node.demo import run_demo

    return int(run_demo(Path(args.dir), workers=args.workers, free_ports=args.free_ports, with_idp=not args.no_idp))
