"""Kong's plugin configuration precedence, precomputed per (route, service, scheme).

For each plugin name, the most specific enabled instance wins (kong/runloop/plugins_iterator.lua):
Route+Service+Consumer > Route+Consumer > Service+Consumer > Route+Service > Consumer > Route > Service >
global. Consumer-scoped instances apply once an authentication plugin has identified the consumer, so a
plan keeps them per consumer and resolves them at request time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sekisho.plugins.base import Plugin

__all__ = ["PlanEntry", "PluginIndex", "PluginPlan", "ResolvedPlugin"]

Row = dict[str, Any]
_Combo = tuple[str | None, str | None, str | None]

logger = logging.getLogger("sekisho.runtime")


@dataclass(frozen=True, slots=True)
class ResolvedPlugin:
    """One plugin instance (a `plugins` row) with its prepared config and the phases its class implements."""

    name: str
    plugin: Plugin[Any]
    conf: Any
    row: Row
    priority: int
    protocols: frozenset[str]
    rewrite: bool
    access: bool
    #: the class implements `try_access` (a synchronous access phase for requests it can decide without I/O)
    try_access: bool
    header_filter: bool
    body_filter: bool
    log: bool
    #: prepare() failed: the request is answered 500 rather than run without this plugin (fail closed).
    broken: bool = False

    @classmethod
    def build(cls, plugin: Plugin[Any], row: Row) -> ResolvedPlugin:
        kind = type(plugin)
        broken = False
        try:
            conf = plugin.prepare(row.get("config") or {})
        except Exception:
            logger.exception("plugin %s (instance %s): prepare() failed", row.get("name"), row.get("id"))
            conf = None
            broken = True
        return cls(
            name=kind.NAME,
            plugin=plugin,
            conf=conf,
            row=row,
            priority=kind.PRIORITY,
            protocols=frozenset(row.get("protocols") or kind.PROTOCOLS),
            rewrite=kind.implements("rewrite"),
            access=kind.implements("access") or broken,
            try_access=kind.implements("try_access") and not broken,
            header_filter=kind.implements("header_filter"),
            body_filter=kind.implements("body_filter"),
            log=kind.implements("log"),
            broken=broken,
        )


class PlanEntry:
    """The candidate instances of one plugin name for a (route, service)."""

    __slots__ = ("base", "consumer_only", "high", "low", "name", "priority", "rs")

    def __init__(
        self,
        name: str,
        priority: int,
        high: dict[str, ResolvedPlugin],
        rs: ResolvedPlugin | None,
        consumer_only: dict[str, ResolvedPlugin],
        low: ResolvedPlugin | None,
    ) -> None:
        self.name = name
        self.priority = priority
        self.high = high
        self.rs = rs
        self.consumer_only = consumer_only
        self.low = low
        self.base = rs if rs is not None else low

    @property
    def consumer_scoped(self) -> bool:
        return bool(self.high or self.consumer_only)

    def resolve(self, consumer_id: str | None) -> ResolvedPlugin | None:
        if consumer_id is None:
            return self.base
        found = self.high.get(consumer_id)
        if found is not None:
            return found
        if self.rs is not None:
            return self.rs
        found = self.consumer_only.get(consumer_id)
        return found if found is not None else self.low


class PluginPlan:
    """Plugins that may run for one (route, service, scheme), by PRIORITY descending."""

    __slots__ = ("base_collected", "consumer_scoped", "entries", "has_body_filter", "needs_access")

    def __init__(self, entries: list[PlanEntry], scheme: str) -> None:
        entries.sort(key=lambda e: (-e.priority, e.name))
        self.entries = tuple(entries)
        collected = [e.base for e in entries if e.base is not None and scheme in e.base.protocols]
        self.base_collected = tuple(collected)
        self.consumer_scoped = any(e.consumer_scoped for e in entries)
        self.needs_access = any(p.access for p in collected)
        self.has_body_filter = any(p.body_filter for p in collected)


EMPTY_PLAN = PluginPlan([], "http")


def _ref(row: Row, key: str) -> str | None:
    value = row.get(key)
    if isinstance(value, Mapping):
        ident = value.get("id")
        return str(ident) if ident is not None else None
    return None


class PluginIndex:
    """Enabled plugin instances by name and scope; answers plans per (route, service, scheme)."""

    def __init__(self, rows: Iterable[Row], instances: Mapping[str, Plugin[Any]]) -> None:
        self._by_name: dict[str, dict[_Combo, ResolvedPlugin]] = {}
        self._priority: dict[str, int] = {}
        for row in rows:
            if row.get("enabled") is False:
                continue
            name = row.get("name")
            plugin = instances.get(name) if isinstance(name, str) else None
            if plugin is None:
                logger.warning("plugin '%s' is configured but not enabled on this node; ignored", name)
                continue
            assert isinstance(name, str)
            combo = (_ref(row, "route"), _ref(row, "service"), _ref(row, "consumer"))
            self._by_name.setdefault(name, {})[combo] = ResolvedPlugin.build(plugin, row)
            self._priority[name] = type(plugin).PRIORITY
        globals_ = [combos[(None, None, None)] for combos in self._by_name.values() if (None, None, None) in combos]
        globals_.sort(key=lambda p: (-p.priority, p.name))
        self.globals: tuple[ResolvedPlugin, ...] = tuple(globals_)
        self.rewrite: tuple[ResolvedPlugin, ...] = tuple(p for p in globals_ if p.rewrite)
        self._plans: dict[tuple[str | None, str | None, str], PluginPlan] = {}
        self._global_plans: dict[str, tuple[ResolvedPlugin, ...]] = {}

    def __len__(self) -> int:
        return sum(len(c) for c in self._by_name.values())

    def globals_for(self, scheme: str) -> tuple[ResolvedPlugin, ...]:
        found = self._global_plans.get(scheme)
        if found is None:
            found = tuple(p for p in self.globals if scheme in p.protocols)
            self._global_plans[scheme] = found
        return found

    def plan(self, route_id: str | None, service_id: str | None, scheme: str) -> PluginPlan:
        key = (route_id, service_id, scheme)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._build(route_id, service_id, scheme)
            if len(self._plans) > 100_000:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def _build(self, r: str | None, s: str | None, scheme: str) -> PluginPlan:
        if not self._by_name:
            return PluginPlan([], scheme)
        entries: list[PlanEntry] = []
        for name, combos in self._by_name.items():
            high: dict[str, ResolvedPlugin] = {}
            consumer_only: dict[str, ResolvedPlugin] = {}
            for (cr, cs, cc), resolved in combos.items():
                if cc is None:
                    continue
                if cr is None and cs is None:
                    consumer_only[cc] = resolved
                    continue
                if (cr is not None and cr != r) or (cs is not None and cs != s):
                    continue
                rank = 0 if cr is not None and cs is not None else 1 if cr is not None else 2
                current = high.get(cc)
                if current is None or rank < _rank_of(current):
                    high[cc] = resolved
            rs = combos.get((r, s, None)) if r is not None and s is not None else None
            low = (
                (combos.get((r, None, None)) if r is not None else None)
                or (combos.get((None, s, None)) if s is not None else None)
                or combos.get((None, None, None))
            )
            if high or rs or consumer_only or low:
                entries.append(PlanEntry(name, self._priority[name], high, rs, consumer_only, low))
        return PluginPlan(entries, scheme)


def _rank_of(resolved: ResolvedPlugin) -> int:
    has_route = _ref(resolved.row, "route") is not None
    has_service = _ref(resolved.row, "service") is not None
    return 0 if has_route and has_service else 1 if has_route else 2
