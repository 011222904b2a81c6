"""The Status API (`status_listen`): read-only health of the node, safe to expose to load balancers.

`GET /status` answers like Kong's (`database.reachable`, `server` counters); `GET /status/ready` (Kong 3.x)
is 200 once the node serves its configuration and 503 while the database is unreachable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sekisho import KONG_COMPAT_VERSION
from sekisho.store.base import Database

__all__ = ["build_status_app"]

_SERVER_KEYS = (
    "total_requests",
    "connections_active",
    "connections_accepted",
    "connections_handled",
    "connections_reading",
    "connections_writing",
    "connections_waiting",
)


def build_status_app(db: Database, counters: Callable[[], Mapping[str, int]] | None = None) -> Starlette:
    headers = {"Server": f"kong/{KONG_COMPAT_VERSION}"}

    async def status(_: Request) -> JSONResponse:
        server: dict[str, Any] = dict.fromkeys(_SERVER_KEYS, 0)
        if counters is not None:
            server.update(counters())
        reachable = await _reachable(db)
        return JSONResponse({"database": {"reachable": reachable}, "server": server}, headers=headers)

    async def ready(_: Request) -> JSONResponse:
        if await _reachable(db):
            return JSONResponse({"message": "ready"}, headers=headers)
        return JSONResponse({"message": "failed to connect to database"}, status_code=503, headers=headers)

    async def not_found(_: Request) -> JSONResponse:
        return JSONResponse({"message": "Not found"}, status_code=404, headers=headers)

    return Starlette(
        routes=[
            Route("/status", status, methods=["GET", "HEAD"]),
            Route("/status/ready", ready, methods=["GET", "HEAD"]),
            Route("/{path:path}", not_found, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        ]
    )


async def _reachable(db: Database) -> bool:
    try:
        return bool(await db.is_reachable())
    except Exception:
        return False
