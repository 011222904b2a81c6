"""The runtime over a real Database: initial build, rebuild on change events, kong.cache invalidation."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sekisho.entities import EntityRegistry
from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.registry import PluginRegistry
from sekisho.proxy import ListenSpec, ProxyServer, ProxySettings
from sekisho.runtime import Runtime
from sekisho.schema import Record
from sekisho.store.factory import open_database
from tests.helpers.echo_upstream import EchoUpstream


class ConsumerHeader(Plugin[dict[str, Any]]):
    """Looks the consumer named in `X-Who` up through kong.cache + kong.db and sends its custom_id upstream."""

    NAME = "consumer-header"
    PRIORITY = 1000
    CONFIG = Record({})
    LOADS = 0

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        name = kong.request.get_header("X-Who") or ""

        async def load() -> dict[str, Any] | None:
            ConsumerHeader.LOADS += 1
            return await kong.db("consumers").select_by("username", name)

        consumer = await kong.cache.get(("consumers", "username", name), load)
        kong.service.request.set_header("X-Custom-Id", (consumer or {}).get("custom_id") or "none")


async def _eventually(check: Any) -> None:
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_changes_in_the_database_reach_the_proxy(echo: EchoUpstream) -> None:
    plugins = PluginRegistry([ConsumerHeader])
    registry = EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)
    db = open_database("memory", registry=registry, node_id="test-node")
    await db.connect()
    runtime = Runtime(plugins, db=db, reload_delay=0.01)
    service = await db.insert("services", {"url": f"http://127.0.0.1:{echo.port}"})
    await db.insert("routes", {"paths": ["/one"], "service": {"id": service["id"]}})
    await db.insert("plugins", {"name": "consumer-header"})
    await db.insert("consumers", {"username": "ann", "custom_id": "v1"})
    await runtime.reload()
    db.subscribe(runtime.on_change)
    server = ProxyServer(runtime, ProxySettings(), listens=[ListenSpec("127.0.0.1", 0)])
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port()}") as client:
            assert (await client.get("/two")).status_code == 404
            await db.insert("routes", {"paths": ["/two"], "service": {"id": service["id"]}})

            async def two_is_routed() -> bool:
                return (await client.get("/two")).status_code == 200

            await _eventually(two_is_routed)

            ConsumerHeader.LOADS = 0
            first = await client.get("/one", headers={"X-Who": "ann"})
            assert first.json()["headers"]["x-custom-id"] == "v1"
            await client.get("/one", headers={"X-Who": "ann"})
            assert ConsumerHeader.LOADS == 1  # served from kong.cache the second time
            ann = await db.select_by("consumers", "username", "ann")
            assert ann is not None
            await db.update("consumers", ann["id"], {"custom_id": "v2"})

            async def custom_id_updated() -> bool:
                response = await client.get("/one", headers={"X-Who": "ann"})
                return bool(response.json()["headers"]["x-custom-id"] == "v2")

            await _eventually(custom_id_updated)
    finally:
        await server.stop(grace=0.2)
        await db.close()
