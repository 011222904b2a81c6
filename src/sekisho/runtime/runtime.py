"""The per-worker runtime: the current snapshot (swapped atomically), plugin instances and `kong.cache`.

Wiring (the node does this):

    runtime = Runtime(PluginRegistry.load(conf.plugins), db=database)
    await runtime.reload()               # build the first snapshot from the database
    database.subscribe(runtime.on_change)  # invalidate kong.cache and rebuild on every committed change
    await runtime.init_worker()          # plugins' init_worker, once
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sekisho.pdk import EntityReader
from sekisho.pdk.cache import WorkerCache
from sekisho.pdk.worker import WorkerNode, WorkerPDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.registry import PluginRegistry
from sekisho.runtime.balancer import TargetHealth
from sekisho.runtime.compact import compact_rows
from sekisho.runtime.entity_reader import DatabaseEntityReader
from sekisho.runtime.healthcheck import ActiveHealthChecker
from sekisho.runtime.snapshot import SNAPSHOT_ENTITIES, Snapshot, build_snapshot
from sekisho.store.base import ChangeEvent, Database

__all__ = ["RowsEntityReader", "Runtime"]

logger = logging.getLogger("sekisho.runtime")
Row = dict[str, Any]
SnapshotListener = Callable[[Snapshot], None]


class RowsEntityReader:
    """`kong.db(entity)` over in-memory rows (a runtime built from rows, without a database)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Row]) -> None:
        self._rows = rows

    async def select(self, ident: str) -> Row | None:
        return next((r for r in self._rows if r.get("id") == ident), None)

    async def select_by(self, field: str, value: Any) -> Row | None:
        return next((r for r in self._rows if r.get(field) == value), None)

    async def each_for(self, field: str, foreign_id: str) -> list[Row]:
        out: list[Row] = []
        for row in self._rows:
            ref = row.get(field)
            if isinstance(ref, Mapping) and ref.get("id") == foreign_id:
                out.append(row)
        return out


class Runtime:
    """Holds what one worker process needs to proxy: read `runtime.snapshot` once per request."""

    def __init__(
        self,
        plugins: PluginRegistry | None = None,
        *,
        db: Database | None = None,
        reload_delay: float = 0.05,
    ) -> None:
        self.registry = plugins if plugins is not None else PluginRegistry(())
        self.db = db
        self.cache = WorkerCache()
        self.instances: dict[str, Plugin[Any]] = {}
        for name in self.registry.names():
            cls = self.registry.get(name)
            if cls is not None:
                self.instances[name] = cls()
        self._health: dict[tuple[str, str], TargetHealth] = {}
        self._listeners: list[SnapshotListener] = []
        self._reload_delay = reload_delay
        self._reload_task: asyncio.Task[None] | None = None
        self._reload_again = False
        self._worker_started = False
        self._started_builds = 0
        self._installed_build = 0
        self._checker = ActiveHealthChecker()
        self.snapshot: Snapshot = build_snapshot({}, self.instances, health=self.health)

    # -- building ------------------------------------------------------------------------------------------
    def health(self, upstream_id: str, target: str) -> TargetHealth:
        """The health state of a target, shared by every snapshot (survives reloads)."""
        key = (upstream_id, target)
        found = self._health.get(key)
        if found is None:
            found = self._health[key] = TargetHealth()
        return found

    def load(self, rows: Mapping[str, list[Row]], version: int = 0) -> Snapshot:
        """Build a snapshot from rows and make it current (DB-less configs, tests)."""
        return self._install(build_snapshot(rows, self.instances, version=version, health=self.health), rows)

    async def reload(self) -> Snapshot:
        """Rebuild from the database (`await db.all(entity)` per entity) and swap.

        The build (router compilation, plugin `prepare()`, TLS contexts) runs in a worker thread so a large
        configuration does not stall requests for its whole duration."""
        if self.db is None:
            return self.snapshot
        self._started_builds += 1
        build = self._started_builds
        db = self.db
        # The version is read before the rows: a change landing in between makes the snapshot look older than
        # it is (the next poll rebuilds once more), never newer (which would hide that change for good).
        version = await db.config_version()
        rows: dict[str, list[Row]] = {}
        for entity in SNAPSHOT_ENTITIES:
            if entity in db.registry:
                rows[entity] = await db.all(entity)
        snapshot = await asyncio.to_thread(self._build, rows, version)
        if build < self._installed_build:
            return self.snapshot  # a reload that started later already installed newer rows
        self._installed_build = build
        return self._install(snapshot, rows)

    def _build(self, rows: dict[str, list[Row]], version: int) -> Snapshot:
        return build_snapshot(compact_rows(rows), self.instances, version=version, health=self.health)

    def _install(self, snapshot: Snapshot, rows: Mapping[str, list[Row]]) -> Snapshot:
        live = set()
        for target in rows.get("targets", []):
            upstream = target.get("upstream")
            if isinstance(upstream, Mapping):
                live.add((str(upstream.get("id")), str(target.get("target"))))
        for key in [k for k in self._health if k not in live]:
            del self._health[key]
        self.snapshot = snapshot
        self._checker.apply(snapshot)
        for listener in list(self._listeners):
            try:
                listener(snapshot)
            except Exception:
                logger.exception("snapshot listener failed")
        return snapshot

    def close(self) -> None:
        """Stop background work (active health probes, a pending reload)."""
        self._checker.stop()
        if self._reload_task is not None:
            self._reload_task.cancel()
            self._reload_task = None

    def subscribe(self, listener: SnapshotListener) -> None:
        """Call `listener(snapshot)` after every swap (health checkers, metrics)."""
        self._listeners.append(listener)

    # -- change events ---------------------------------------------------------------------------------------
    def invalidate(self, entity: str) -> None:
        """Drop `kong.cache` keys of `entity` (its rows changed)."""
        self.cache.invalidate_entity(entity)

    def on_change(self, event: ChangeEvent) -> None:
        """A `Database` listener: invalidates the cache and schedules a (coalesced) snapshot rebuild."""
        self.invalidate(event.entity)
        if event.entity in SNAPSHOT_ENTITIES:
            self.schedule_reload()

    def schedule_reload(self) -> None:
        if self._reload_task is not None and not self._reload_task.done():
            self._reload_again = True
            return
        self._reload_task = asyncio.get_running_loop().create_task(self._reload_soon())

    async def _reload_soon(self) -> None:
        while True:
            self._reload_again = False
            await asyncio.sleep(self._reload_delay)
            try:
                await self.reload()
            except Exception:
                logger.exception("configuration reload failed; keeping the previous snapshot")
            if not self._reload_again:
                return

    # -- plugins ----------------------------------------------------------------------------------------------
    async def init_worker(self, node: WorkerNode | None = None) -> None:
        """Run each plugin's `init_worker` once with a request-less `kong` (errors are logged; the worker
        keeps going). Pass the node (`WorkerNode(node_id, hostname, cluster_secret)`) so
        `kong.node.derive_secret` agrees with the proxy."""
        if self._worker_started:
            return
        self._worker_started = True
        for name, plugin in self.instances.items():
            if type(plugin).init_worker is Plugin.init_worker:
                continue
            kong = WorkerPDK(name, self.cache, self.entity_reader, node)
            try:
                await plugin.init_worker(kong)
            except Exception:
                logger.exception("plugin %s: init_worker failed", name)

    def entity_reader(self, entity: str) -> EntityReader:
        if self.db is not None:
            return DatabaseEntityReader(self.db, entity)
        return RowsEntityReader(self.snapshot.rows.get(entity) or [])
