"""Failed sign-in counting per (pool, user): too many failures refuse sign-in for a while."""

from __future__ import annotations

from sekisho.idp.clock import Clock

__all__ = ["LoginThrottle"]


class LoginThrottle:
    def __init__(self, clock: Clock, max_failures: int, window_seconds: int) -> None:
        self._clock = clock
        self._max = max_failures
        self._window = window_seconds
        self._failures: dict[tuple[str, str], list[float]] = {}

    def blocked(self, pool_id: str, user_key: str) -> bool:
        return len(self._recent(pool_id, user_key)) >= self._max

    def failed(self, pool_id: str, user_key: str) -> None:
        recent = self._recent(pool_id, user_key)
        recent.append(self._clock.now())
        self._failures[(pool_id, user_key)] = recent
        if len(self._failures) > 100_000:  # cap memory: forget the oldest entries
            for key in list(self._failures)[:50_000]:
                del self._failures[key]

    def succeeded(self, pool_id: str, user_key: str) -> None:
        self._failures.pop((pool_id, user_key), None)

    def _recent(self, pool_id: str, user_key: str) -> list[float]:
        cutoff = self._clock.now() - self._window
        return [t for t in self._failures.get((pool_id, user_key), []) if t > cutoff]
