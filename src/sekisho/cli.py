"""The `sekisho` command line (Kong's CLI verbs where they exist)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from sekisho import KONG_COMPAT_VERSION, __version__
from sekisho.errors import SekishoError

__all__ = ["main"]


def _conf_args(parser: argparse.ArgumentParser, *, prefix: bool = True) -> None:
    parser.add_argument("-c", "--conf", help="configuration file (kong.conf syntax)")
    if prefix:
        parser.add_argument("-p", "--prefix", help="override the prefix directory")
    parser.add_argument("--vv", action="store_true", help="verbose: debug logging and effective settings")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sekisho", description="A Kong-compatible OpenID Connect API gateway.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    version = sub.add_parser("version", help="print the version")
    version.add_argument("-a", "--all", action="store_true", help="also print the Kong version mirrored")

    start = sub.add_parser("start", help="start a node in the foreground")
    _conf_args(start)
    start.add_argument("--run-migrations", action="store_true", help="bootstrap or upgrade the database first")
    start.add_argument(
        "--db-timeout", type=float, default=60.0, help="seconds to wait for an unreachable PostgreSQL (default 60)"
    )

    for name, help_text in (("stop", "stop a running node (SIGTERM)"), ("quit", "gracefully stop a node (SIGQUIT)")):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("-p", "--prefix", help="prefix of the running node")
        cmd.add_argument("-c", "--conf", help="configuration file (to find the prefix)")
        cmd.add_argument("-t", "--timeout", type=float, default=30.0, help="seconds before SIGKILL (default 30)")
        cmd.add_argument("--vv", action="store_true", help=argparse.SUPPRESS)

    reload = sub.add_parser("reload", help="re-read the configuration and replace the workers (SIGHUP)")
    reload.add_argument("-p", "--prefix", help="prefix of the running node")
    reload.add_argument("-c", "--conf", help="configuration file (to find the prefix)")

    health = sub.add_parser("health", help="is the node in this prefix running?")
    health.add_argument("-p", "--prefix", help="prefix of the node")
    health.add_argument("-c", "--conf", help=argparse.SUPPRESS)
    health.add_argument("--vv", action="store_true", help=argparse.SUPPRESS)

    check = sub.add_parser("check", help="validate a configuration file")
    check.add_argument("conf", nargs="?", help="configuration file")
    check.add_argument("--vv", action="store_true", help="print the effective settings")

    prepare = sub.add_parser("prepare", help="create the prefix directory (logs, pids, certificates)")
    _conf_args(prepare)

    config = sub.add_parser("config", help="declarative configuration tools")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION")
    init = config_sub.add_parser("init", help="write a sample declarative configuration")
    init.add_argument("file", nargs="?", default="kong.yml")
    for action, help_text in (
        ("parse", "validate a declarative configuration file"),
        ("db_import", "import a declarative configuration file into the database"),
    ):
        cmd = config_sub.add_parser(action, help=help_text)
        cmd.add_argument("file")
        _conf_args(cmd)
    export = config_sub.add_parser("db_export", help="export the database as a declarative configuration")
    export.add_argument("file", nargs="?", default="kong.yml")
    _conf_args(export)

    migrations = sub.add_parser("migrations", help="database schema management")
    mig_sub = migrations.add_subparsers(dest="migrations_command", metavar="ACTION")
    for action, help_text in (
        ("bootstrap", "create the schema in an empty database"),
        ("up", "run pending migrations"),
        ("finish", "finish pending migrations (nothing to do in sekisho)"),
        ("list", "list executed and pending migrations"),
        ("reset", "drop everything in the database"),
    ):
        cmd = mig_sub.add_parser(action, help=help_text)
        _conf_args(cmd)
        cmd.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
        cmd.add_argument("-f", "--force", action="store_true", help=argparse.SUPPRESS)

    sub.add_parser("idp", help="the local Cognito-compatible identity provider (sekisho idp --help)", add_help=False)
    demo = sub.add_parser("demo", help="start a local node with sample configuration and an echo upstream")
    demo.add_argument("--dir", default=".demo", help="prefix for the demo node (default: .demo)")
    demo.add_argument("--workers", type=int, default=1, help="worker processes")
    demo.add_argument("--no-idp", action="store_true", help="skip the identity provider and the /cognito route")
    demo.add_argument("--free-ports", action="store_true", help="use free ports instead of Kong's 8000/8443/8001/8444")
    return parser


def _command(args: argparse.Namespace) -> Callable[[argparse.Namespace], int] | None:
    from sekisho.node import commands

    table: dict[str, Callable[[argparse.Namespace], int]] = {
        "start": commands.start,
        "stop": commands.stop,
        "quit": commands.quit_,
        "health": commands.health,
        "reload": commands.reload,
        "check": commands.check,
        "prepare": commands.prepare,
        "config": commands.config,
        "migrations": commands.migrations,
        "demo": commands.demo,
    }
    return table.get(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["idp"]:
        # The IdP is a separate program with its own options; it only shares the executable.
        from sekisho.idp.cli import main as idp_main

        return idp_main(arguments[1:])
    parser = _parser()
    args = parser.parse_args(arguments)
    if args.command == "version":
        print(f"sekisho {__version__}")
        if args.all:
            print(f"kong-compatible {KONG_COMPAT_VERSION}")
        return 0
    handler = _command(args) if args.command else None
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except SekishoError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
