"""In-process backend: DB-less mode (loaded from declarative config) and a writable variant for tests.

Rows are kept as JSON text so every read hands out a fresh copy. A write transaction holds a lock and an
undo log; memory transactions never suspend between their steps, so readers never see half a write.
"""

from __future__ import annotations

import asyncio
import bisect
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sekisho.store.backend import ClusterEvent, PageQuery, RowIndex, UniqueConflict, row_json
from sekisho.store.base import Row

__all__ = ["MemoryBackend"]

_EVENTS_KEPT = 1000


class _State:
    def __init__(self) -> None:
        self.bodies: dict[str, dict[str, str]] = {}
        self.order: dict[str, list[str]] = {}
        self.unsorted: set[str] = set()
        self.indexes: dict[tuple[str, str], RowIndex] = {}
        self.unique: dict[tuple[str, str, str], str] = {}
        self.referrers: dict[tuple[str, str], set[tuple[str, str, str]]] = {}
        self.version = 0
        self.events: list[tuple[int, ClusterEvent]] = []

    def body(self, entity: str, ident: str) -> str | None:
        return self.bodies.get(entity, {}).get(ident)

    def put(self, entity: str, ident: str, body: str, index: RowIndex) -> None:
        self.drop(entity, ident)
        for key, value in index.unique:
            self.unique[(entity, key, value)] = ident
        for fld, ref_entity, ref_id in index.refs:
            self.referrers.setdefault((ref_entity, ref_id), set()).add((entity, fld, ident))
        self.bodies.setdefault(entity, {})[ident] = body
        order = self.order.setdefault(entity, [])
        if order and ident < order[-1]:
            self.unsorted.add(entity)  # sorted on the next read: bulk loads stay O(n log n)
        order.append(ident)
        self.indexes[(entity, ident)] = index

    def drop(self, entity: str, ident: str) -> None:
        index = self.indexes.pop((entity, ident), None)
        if index is None:
            return
        for key, value in index.unique:
            self.unique.pop((entity, key, value), None)
        for fld, ref_entity, ref_id in index.refs:
            refs = self.referrers.get((ref_entity, ref_id))
            if refs is not None:
                refs.discard((entity, fld, ident))
                if not refs:
                    del self.referrers[(ref_entity, ref_id)]
        del self.bodies[entity][ident]
        order = self.ordered(entity)
        del order[bisect.bisect_left(order, ident)]

    def ordered(self, entity: str) -> list[str]:
        """Ids of an entity in order."""
        order = self.order.setdefault(entity, [])
        if entity in self.unsorted:
            order.sort()
            self.unsorted.discard(entity)
        return order


class _MemoryTxn:
    def __init__(self, state: _State) -> None:
        self._state = state
        self.undo: list[Callable[[], None]] = []

    async def get(self, entity: str, ident: str) -> Row | None:
        body = self._state.body(entity, ident)
        return None if body is None else _load(body)

    async def find_unique(self, entity: str, key: str, value: str) -> str | None:
        return self._state.unique.get((entity, key, value))

    async def put(self, entity: str, row: Row, index: RowIndex) -> None:
        state = self._state
        ident = str(row["id"])
        for key, value in index.unique:
            holder = state.unique.get((entity, key, value))
            if holder is not None and holder != ident:
                raise UniqueConflict(entity, key)
        self._remember(entity, ident)
        state.put(entity, ident, row_json(row), index)

    async def remove(self, entity: str, ident: str) -> None:
        self._remember(entity, ident)
        self._state.drop(entity, ident)

    async def referencing(self, entity: str, ident: str) -> list[tuple[str, str, str]]:
        return sorted(self._state.referrers.get((entity, ident), ()))

    async def publish(self, events: Sequence[ClusterEvent]) -> int:
        state = self._state
        before_version, before_events = state.version, list(state.events)

        def restore() -> None:
            state.version, state.events = before_version, before_events

        self.undo.append(restore)
        for event in events:
            state.version += 1
            state.events.append((state.version, event))
        if not events:
            state.version += 1
        del state.events[:-_EVENTS_KEPT]
        return state.version

    async def clear(self) -> None:
        state = self._state
        saved = (state.bodies, state.order, state.unsorted, state.indexes, state.unique, state.referrers)

        def restore() -> None:
            state.bodies, state.order, state.unsorted, state.indexes, state.unique, state.referrers = saved

        self.undo.append(restore)
        state.bodies, state.order, state.unsorted = {}, {}, set()
        state.indexes, state.unique, state.referrers = {}, {}, {}

    def _remember(self, entity: str, ident: str) -> None:
        state = self._state
        body = state.body(entity, ident)
        index = state.indexes.get((entity, ident))
        if body is None or index is None:
            self.undo.append(lambda: state.drop(entity, ident))
        else:
            self.undo.append(lambda: state.put(entity, ident, body, index))


class MemoryBackend:
    """Rows in process memory; `strategy` is `off` for DB-less nodes and `memory` for the writable variant."""

    def __init__(self, strategy: str = "off") -> None:
        self.strategy = strategy
        self._state = _State()
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def is_reachable(self) -> bool:
        return True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_MemoryTxn]:
        async with self._lock:
            txn = _MemoryTxn(self._state)
            try:
                yield txn
            except BaseException:
                for step in reversed(txn.undo):
                    step()
                raise

    async def get(self, entity: str, ident: str) -> Row | None:
        body = self._state.body(entity, ident)
        return None if body is None else _load(body)

    async def find_unique(self, entity: str, key: str, value: str) -> str | None:
        return self._state.unique.get((entity, key, value))

    async def page(self, query: PageQuery) -> list[Row]:
        state = self._state
        order = state.ordered(query.entity)
        start = 0 if query.after is None else bisect.bisect_right(order, query.after)
        wanted_tags = set(query.tags)
        out: list[Row] = []
        for position in range(start, len(order)):
            ident = order[position]
            index = state.indexes[(query.entity, ident)]
            if wanted_tags:
                have = wanted_tags.intersection(index.tags)
                if (query.tags_match == "and" and have != wanted_tags) or not have:
                    continue
            if query.foreign is not None and not any(
                fld == query.foreign[0] and ref_id == query.foreign[1] for fld, _, ref_id in index.refs
            ):
                continue
            row = _load(state.bodies[query.entity][ident])
            if any(not _equal(row.get(fld), value) for fld, value in query.where):
                continue
            out.append(row)
            if len(out) >= query.size:
                break
        return out

    async def iterate(self, entity: str) -> AsyncIterator[Row]:
        bodies = self._state.bodies.get(entity, {})
        for ident in list(self._state.ordered(entity)):
            body = bodies.get(ident)
            if body is not None:
                yield _load(body)

    async def count(self, entity: str) -> int:
        return len(self._state.bodies.get(entity, {}))

    async def config_version(self) -> int:
        return self._state.version

    async def events_since(self, version: int, limit: int = 1000) -> list[tuple[int, ClusterEvent]]:
        return [(v, e) for v, e in self._state.events if v > version][:limit]


def _load(body: str) -> Row:
    row: Row = json.loads(body)
    return row


def _equal(have: Any, want: Any) -> bool:
    if isinstance(have, bool) or isinstance(want, bool):
        return have is want  # JSON semantics: true is not 1
    return bool(have == want)
