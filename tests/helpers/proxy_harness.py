"""A real proxy server on 127.0.0.1 port 0, configured from rows built with the real entity schemas.

async with ProxyHarness(plugins=[MyPlugin]) as h:
    service = h.add("services", {"url": f"http://127.0.0.1:{echo.port}"})
    h.add("routes", {"paths": ["/"], "service": {"id": service["id"]}})
    await h.start()
    response = await h.client.get("/anything")
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

import httptools
import httpx

from sekisho.entities import EntityRegistry
from sekisho.plugins.base import Plugin
from sekisho.plugins.registry import PluginRegistry
from sekisho.proxy import ListenSpec, ProxyServer, ProxySettings
from sekisho.runtime import Runtime

__all__ = ["ProxyHarness", "RawResponse", "parse_responses", "raw_request"]

Row = dict[str, Any]


class ProxyHarness:
    def __init__(
        self,
        plugins: Iterable[type[Plugin[Any]]] = (),
        settings: ProxySettings | None = None,
        *,
        tls: bool = False,
        access_log: Any = None,
    ) -> None:
        self.registry = PluginRegistry(plugins)
        self.entities = EntityRegistry(self.registry.config_schema, self.registry.entities(), self.registry.scope_rules)
        self.rows: dict[str, list[Row]] = {}
        self.settings = settings or ProxySettings()
        self.tls = tls
        self.access_log = access_log
        self.runtime = Runtime(self.registry)
        self.server: ProxyServer | None = None
        self.client: httpx.AsyncClient

    def add(self, entity: str, data: dict[str, Any]) -> Row:
        row = self.entities[entity].insert(data)
        self.rows.setdefault(entity, []).append(row)
        return row

    def service(self, url: str, **fields: Any) -> Row:
        return self.add("services", {"url": url, **fields})

    def route(self, service: Row | None, **fields: Any) -> Row:
        data = dict(fields)
        if service is not None:
            data["service"] = {"id": service["id"]}
        return self.add("routes", data)

    def plugin(self, name: str, **fields: Any) -> Row:
        data: dict[str, Any] = {"name": name}
        for key in ("route", "service", "consumer"):
            if key in fields:
                ref = fields.pop(key)
                data[key] = {"id": ref["id"]} if ref is not None else None
        data.update(fields)
        return self.add("plugins", data)

    def reload(self) -> None:
        self.runtime.load(self.rows)

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port(ssl=False)

    @property
    def tls_port(self) -> int:
        assert self.server is not None
        return self.server.port(ssl=True)

    async def start(self) -> ProxyHarness:
        self.runtime.load(self.rows)
        listens = [ListenSpec("127.0.0.1", 0)]
        if self.tls:
            listens.append(ListenSpec("127.0.0.1", 0, ssl=True))
        self.server = ProxyServer(self.runtime, self.settings, listens=listens, access_log=self.access_log)
        await self.server.start()
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(AttributeError):
                await self.client.aclose()
            await self.server.stop(grace=0.5)
            self.server = None
        self.runtime.close()

    async def __aenter__(self) -> ProxyHarness:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()


class RawResponse:
    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.complete = False

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class _Collector:
    def __init__(self) -> None:
        self.responses: list[RawResponse] = []
        self.parser = httptools.HttpResponseParser(self)

    def on_message_begin(self) -> None:
        self.responses.append(RawResponse())

    def on_header(self, name: bytes, value: bytes) -> None:
        self.responses[-1].headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.responses[-1].status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.responses[-1].body += body

    def on_message_complete(self) -> None:
        self.responses[-1].complete = True


def parse_responses(data: bytes) -> list[RawResponse]:
    """Every response in `data` (a pipelined answer); a close-delimited last body is completed."""
    collector = _Collector()
    with contextlib.suppress(httptools.HttpParserError):
        collector.parser.feed_data(data)
    return collector.responses


async def raw_request(
    port: int, data: bytes, *, expect: int = 1, wait: float = 10.0, until_close: bool = False
) -> tuple[bytes, bool]:
    """Send raw bytes, read until `expect` complete responses arrived (and, with `until_close`, until the
    server closes). Returns (bytes received, whether the server closed the connection)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    received = b""
    closed = False
    try:
        async with asyncio.timeout(wait):
            while True:
                piece = await reader.read(65536)
                if not piece:
                    closed = True
                    break
                received += piece
                if not until_close and sum(1 for r in parse_responses(received) if r.complete) >= expect:
                    break
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return received, closed
