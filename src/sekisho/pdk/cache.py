"""`kong.cache`: a per-worker cache of entity lookups, dropped per entity when that entity changes.

Concurrent misses on one key share a single load; `None` results are cached too (negative caching).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["WorkerCache"]

_MAX_KEYS_PER_ENTITY = 100_000


class WorkerCache:
    """Implements the `sekisho.pdk.Cache` protocol."""

    __slots__ = ("_entries", "_loading", "default_ttl", "hits", "misses")

    def __init__(self, default_ttl: float | None = None) -> None:
        self._entries: dict[str, dict[tuple[str, ...], tuple[Any, float]]] = {}
        self._loading: dict[tuple[str, ...], asyncio.Future[Any]] = {}
        self.default_ttl = default_ttl
        self.hits = 0
        self.misses = 0

    async def get(self, key: tuple[str, ...], loader: Callable[[], Awaitable[Any]], ttl: float | None = None) -> Any:
        cached, value = self.peek(key)
        if cached:
            return value
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        self.misses += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        generation = self._entries.get(key[0])
        try:
            value = await loader()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs "never retrieved"
            raise
        finally:
            self._loading.pop(key, None)
        future.set_result(value)
        # An invalidation while loading replaced the bucket: the value may be stale, do not keep it.
        if self._entries.get(key[0]) is generation:
            self._store(key, value, ttl if ttl is not None else self.default_ttl)
        return value

    def peek(self, key: tuple[str, ...]) -> tuple[bool, Any]:
        bucket = self._entries.get(key[0])
        if bucket is not None:
            found = bucket.get(key)
            if found is not None:
                value, expires = found
                if expires == 0.0 or expires > time.monotonic():
                    self.hits += 1
                    return True, value
                del bucket[key]
        return False, None

    def _store(self, key: tuple[str, ...], value: Any, ttl: float | None) -> None:
        bucket = self._entries.get(key[0])
        if bucket is None:
            bucket = self._entries[key[0]] = {}
        elif len(bucket) >= _MAX_KEYS_PER_ENTITY:
            bucket.clear()
        bucket[key] = (value, time.monotonic() + ttl if ttl else 0.0)

    def invalidate(self, key: tuple[str, ...]) -> None:
        bucket = self._entries.get(key[0])
        if bucket is not None:
            bucket.pop(key, None)

    def invalidate_entity(self, entity: str) -> None:
        """Drop every key of `entity` (called on change events)."""
        self._entries[entity] = {}

    def clear(self) -> None:
        self._entries.clear()
