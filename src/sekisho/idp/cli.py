"""`sekisho idp`: run the identity provider, seed it from YAML, or list its outbox."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from sekisho import __version__
from sekisho.idp.config import IdpSettings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sekisho idp", description="A local identity provider compatible with Amazon Cognito user pools."
    )
    parser.add_argument("--host", help="listen address (default 127.0.0.1; env SEKISHO_IDP_HOST)")
    parser.add_argument("--port", type=int, help="http port (default 9229; env SEKISHO_IDP_PORT)")
    parser.add_argument("--https-port", type=int, help="https port, -1 to disable (default 9230)")
    parser.add_argument("--data-dir", help="directory for the store and the certificate (default .sekisho-idp)")
    parser.add_argument("--database", help="postgres:// DSN or SQLite path (default <data-dir>/idp.sqlite3)")
    parser.add_argument("--region", help="region in pool ids (default us-east-1)")
    parser.add_argument("--issuer-base", help="base URL of issuers (default the http listener's URL)")
    parser.add_argument("--domain-style", choices=["path", "host"], help="how discovery addresses hosted domains")
    parser.add_argument("--version", action="version", version=f"sekisho idp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("serve", help="run the identity provider (the default)")
    seed = sub.add_parser("seed", help="declare pools, clients, domains, groups and users from a YAML file")
    seed.add_argument("file", type=Path)
    outbox = sub.add_parser("outbox", help="list the messages the IdP sent")
    outbox.add_argument("--to", help="only messages to this address")
    outbox.add_argument("--json", action="store_true", help="print JSON")
    rotate = sub.add_parser("rotate-keys", help="rotate a pool's signing keys (old public keys stay published)")
    rotate.add_argument("pool_id")
    return parser


def _settings(args: argparse.Namespace) -> IdpSettings:
    return IdpSettings.from_env(
        host=args.host,
        port=args.port,
        https_port=args.https_port,
        data_dir=args.data_dir,
        database=args.database,
        region=args.region,
        issuer_base=args.issuer_base,
        domain_style=args.domain_style,
    )


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    settings = _settings(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command in (None, "serve"):
        from sekisho.idp.server import serve_forever

        try:
            asyncio.run(serve_forever(settings))
        except KeyboardInterrupt:
            pass
        return 0
    if args.command == "seed":
        from sekisho.idp.seed import SeedError, seed_file

        try:
            summary = asyncio.run(seed_file(settings, args.file))
        except SeedError as exc:
            print(f"seed failed: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(summary, indent=2))
        return 0
    if args.command == "outbox":
        return asyncio.run(_print_outbox(settings, args.to, args.json))
    if args.command == "rotate-keys":
        return asyncio.run(_rotate(settings, args.pool_id))
    return 2


async def _print_outbox(settings: IdpSettings, to: str | None, as_json: bool) -> int:
    from sekisho.idp.services import build_services

    svc = await build_services(settings)
    try:
        messages = await svc.outbox.messages(to)
    finally:
        await svc.store.close()
    if as_json:
        print(json.dumps(messages, indent=2))
    else:
        for message in messages:
            print(f"{message['to']}\t{message['subject']}\t{message['body']}")
    return 0


async def _rotate(settings: IdpSettings, pool_id: str) -> int:
    from sekisho.idp.services import build_services

    svc = await build_services(settings)
    try:
        if await svc.store.get("pool", "", pool_id) is None:
            print(f"User pool {pool_id} does not exist.", file=sys.stderr)
            return 1
        print("\n".join(await svc.keys.rotate(pool_id)))
    finally:
        await svc.store.close()
    return 0
