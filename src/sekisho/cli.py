"""The `sekisho` command line (Kong's CLI verbs where they exist)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sekisho import KONG_COMPAT_VERSION, __version__

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sekisho", description="A Kong-compatible OpenID Connect API gateway.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    version = sub.add_parser("version", help="print the version")
    version.add_argument("-a", "--all", action="store_true", help="also print the Kong version mirrored")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "version":
        print(f"sekisho {__version__}")
        if args.all:
            print(f"kong-compatible {KONG_COMPAT_VERSION}")
        return 0
    parser.print_help(sys.stderr)
    return 2
