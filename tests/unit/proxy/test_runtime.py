"""Runtime: snapshot swap and listeners, init_worker with a request-less kong."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sekisho.entities import EntityRegistry
from sekisho.pdk import PDK
from sekisho.pdk.worker import WorkerNode
from sekisho.plugins.base import Plugin
from sekisho.plugins.registry import PluginRegistry
from sekisho.runtime import Runtime
from sekisho.schema import Record

SEEN: dict[str, Any] = {}


class Starter(Plugin[dict[str, Any]]):
    NAME = "starter"
    PRIORITY = 1
    CONFIG = Record({})

    async def init_worker(self, kong: PDK) -> None:
        SEEN["node"] = kong.node.get_id()
        SEEN["secret"] = kong.node.derive_secret("sessions")
        SEEN["cached"] = await kong.cache.get(("consumers", "x"), _none)
        try:
            kong.request.get_path()
        except RuntimeError as exc:
            SEEN["request"] = str(exc)


class Crasher(Plugin[dict[str, Any]]):
    NAME = "crasher"
    PRIORITY = 2
    CONFIG = Record({})

    async def init_worker(self, kong: PDK) -> None:
        raise RuntimeError("init failed")


async def _none() -> None:
    return None


async def test_init_worker_runs_once_with_a_requestless_kong() -> None:
    runtime = Runtime(PluginRegistry([Starter, Crasher]))
    node = WorkerNode("node-1", "host", b"k" * 32)
    await runtime.init_worker(node)
    assert SEEN["node"] == "node-1"
    assert SEEN["secret"] == WorkerNode("other", "h", b"k" * 32).derive_secret("sessions")
    assert SEEN["cached"] is None
    assert "not available in init_worker" in SEEN["request"]
    SEEN.clear()
    await runtime.init_worker(node)
    assert SEEN == {}


def test_load_swaps_the_snapshot_and_notifies_listeners() -> None:
    plugins = PluginRegistry(())
    registry = EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)
    runtime = Runtime(plugins)
    swapped: list[int] = []
    runtime.subscribe(lambda snapshot: swapped.append(snapshot.version))
    service = registry["services"].insert({"url": "http://127.0.0.1:9"})
    route = registry["routes"].insert({"paths": ["/x"], "service": {"id": service["id"]}})
    before = runtime.snapshot
    after = runtime.load({"services": [service], "routes": [route]}, version=7)
    assert runtime.snapshot is after is not before
    assert swapped == [7]
    match = after.router.match("GET", None, "/x/y", {}, "http")
    assert match is not None and match.service == service
    assert before.router.match("GET", None, "/x/y", {}, "http") is None


@pytest.mark.parametrize("entity", ["consumers", "keyauth_credentials"])
async def test_invalidate_drops_the_entitys_cache_keys(entity: str) -> None:
    runtime = Runtime()
    loads = 0

    async def load() -> str:
        nonlocal loads
        loads += 1
        return "v"

    await runtime.cache.get((entity, "k"), load)
    await runtime.cache.get((entity, "k"), load)
    runtime.invalidate("services")
    await runtime.cache.get((entity, "k"), load)
    assert loads == 1
    runtime.invalidate(entity)
    await runtime.cache.get((entity, "k"), load)
    assert loads == 2


async def test_concurrent_reloads_never_install_older_rows() -> None:
    from sekisho.store.factory import open_database

    plugins = PluginRegistry(())
    registry = EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)
    db = open_database("memory", registry=registry, node_id="n")
    await db.connect()
    runtime = Runtime(plugins, db=db)
    service = await db.insert("services", {"url": "http://127.0.0.1:9"})
    first = asyncio.ensure_future(runtime.reload())
    await db.insert("routes", {"paths": ["/late"], "service": {"id": service["id"]}})
    second = asyncio.ensure_future(runtime.reload())
    await asyncio.gather(first, second)
    assert runtime.snapshot.router.match("GET", None, "/late", {}, "http") is not None
    await db.close()
