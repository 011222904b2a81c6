"""`GET /`, `GET /status`, `GET /endpoints` and `GET /plugins/enabled`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.context import AdminContext
from sekisho.admin.responses import kong_json

__all__ = ["EMPTY_CONFIG_HASH", "SERVER_COUNTERS", "InfoEndpoints"]

TAGLINE = "Welcome to kong"
EMPTY_CONFIG_HASH = "0" * 32
SERVER_COUNTERS = (
    "connections_accepted",
    "connections_active",
    "connections_handled",
    "connections_reading",
    "connections_waiting",
    "connections_writing",
    "total_requests",
)


class InfoEndpoints:
    def __init__(self, ctx: AdminContext, endpoint_paths: Callable[[], Sequence[str]]) -> None:
        self.ctx = ctx
        self.endpoint_paths = endpoint_paths

    async def root(self, request: Request) -> Response:
        # Kong 2.8 answers `true` per plugin (3.x: version metadata); we report Kong 2.8's version
        available = dict.fromkeys(self.ctx.plugins.names(), True)
        in_cluster: list[str] = []
        for row in await self.ctx.db.all("plugins"):
            plugin_name = row.get("name")
            if isinstance(plugin_name, str) and plugin_name not in in_cluster:
                in_cluster.append(plugin_name)
        return kong_json(
            {
                "tagline": TAGLINE,
                "version": self.ctx.version,
                "hostname": self.ctx.hostname,
                "node_id": self.ctx.node_id,
                "plugins": {"available_on_server": available, "enabled_in_cluster": in_cluster},
                "configuration": dict(self.ctx.configuration),
                "pids": {"master": os.getpid()},
                "timers": {"running": 0, "pending": 0},
            }
        )

    async def status(self, request: Request) -> Response:
        try:
            reachable = await self.ctx.db.is_reachable()
        except Exception:
            reachable = False
        counters = dict.fromkeys(SERVER_COUNTERS, 0)
        if self.ctx.server_counters is not None:
            counters.update(self.ctx.server_counters())
        body: dict[str, Any] = {"database": {"reachable": reachable}, "server": counters}
        if self.ctx.db.strategy == "off":
            current = self.ctx.declarative.current_hash() if self.ctx.declarative is not None else None
            body["configuration_hash"] = current or EMPTY_CONFIG_HASH
        return kong_json(body)

    async def endpoints(self, request: Request) -> Response:
        # Kong sorts segment-wise: '/' sorts before every other character
        paths = sorted(set(self.endpoint_paths()), key=lambda p: p.replace("/", "\x00"))
        return kong_json({"data": paths})

    async def enabled_plugins(self, request: Request) -> Response:
        return kong_json({"enabled_plugins": self.ctx.plugins.names()})
