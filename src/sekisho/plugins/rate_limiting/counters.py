"""The `local` policy's counters: in the memory of one worker process, bounded, expiring with their window."""

from __future__ import annotations

__all__ = ["LocalCounters"]


class LocalCounters:
    """Counts per key until the key's window expires. Single-threaded (one event loop), so no locking."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._max_keys = max_keys
        self._entries: dict[str, tuple[float, int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def usage(self, key: str, now: float) -> int:
        entry = self._entries.get(key)
        if entry is None:
            return 0
        if entry[0] <= now:
            del self._entries[key]
            return 0
        return entry[1]

    def increment(self, key: str, expires_at: float, now: float, value: int = 1) -> int:
        entry = self._entries.get(key)
        count = value if entry is None or entry[0] <= now else entry[1] + value
        self._entries[key] = (expires_at, count)
        if len(self._entries) > self._max_keys:
            self._evict(now)
        return count

    def _evict(self, now: float) -> None:
        for key in [k for k, (expires_at, _) in self._entries.items() if expires_at <= now]:
            del self._entries[key]
        # Still full of live windows: drop the oldest, as a full shared dict would (counts restart there).
        # Going down to 90% keeps this scan from running on every insert.
        while len(self._entries) > self._max_keys * 9 // 10:
            del self._entries[next(iter(self._entries))]
