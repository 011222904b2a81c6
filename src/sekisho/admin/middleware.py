"""Headers every Admin response carries (`Server`, `Access-Control-Allow-Origin`, `X-Kong-Admin-Latency`),
trailing-slash tolerance and `OPTIONS` answered for every path, as Kong 2.8 answers it before routing."""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AdminHeaders", "allowed_methods"]

_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# What Kong 2.8 announces for every path (kong/init.lua `serve_content`): used where no route matches.
_KONG_ALLOW_METHODS = "GET, HEAD, PUT, PATCH, POST, DELETE"


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> list[str]:
    """Every method some route accepts for `path` (empty when no route has that path)."""
    probe: Scope = {"type": "http", "path": path, "method": "OPTIONS", "root_path": ""}
    methods: set[str] = set()
    for route in routes:
        if not isinstance(route, Route):
            continue
        match, _ = route.matches(probe)
        if match is not Match.NONE:
            methods.update(route.methods or ())
    if methods:
        methods.add("OPTIONS")
    return [m for m in _METHOD_ORDER if m in methods]


class AdminHeaders:
    """ASGI middleware around the Admin app."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute], server: str) -> None:
        self.app = app
        self.routes = routes
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            trimmed = path.rstrip("/") or "/"
            raw: bytes = scope.get("raw_path") or path.encode()
            scope = {**scope, "path": trimmed, "raw_path": raw.rstrip(b"/") or b"/"}
            path = trimmed

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Server"] = self.server
                headers["Access-Control-Allow-Origin"] = "*"
                headers["X-Kong-Admin-Latency"] = str(int((time.perf_counter() - started) * 1000))
            await send(message)

        if scope["method"] == "OPTIONS":
            await self._options(path)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _options(self, path: str) -> Response:
        methods = allowed_methods(self.routes, path)
        allow = ", ".join(methods) if methods else _KONG_ALLOW_METHODS
        return Response(
            status_code=204,
            headers={
                "Allow": allow,
                "Access-Control-Allow-Methods": allow,
                "Access-Control-Allow-Headers": "Content-Type",
            },
        )
