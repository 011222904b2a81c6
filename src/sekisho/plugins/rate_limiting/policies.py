"""Where rate-limit counters live: `local` (this worker's memory) or `redis` (shared by workers and nodes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sekisho.plugins.rate_limiting.counters import LocalCounters
from sekisho.plugins.rate_limiting.shared import SharedCounters

if TYPE_CHECKING:
    import redis.asyncio as aioredis

__all__ = ["CounterError", "LocalPolicy", "NodePolicy", "Policy", "RedisPolicy", "RedisSettings"]


class CounterError(Exception):
    """The counter store could not be read or written."""


Window = tuple[str, float, float]
"""(counter key, Unix time the window ends, limit)."""


class Policy(Protocol):
    async def consume(self, windows: Sequence[Window], now: float) -> list[int]:
        """The counts before this request; when every count is under its limit, also count this request."""
        ...


def _allowed(counts: Sequence[int], windows: Sequence[Window]) -> bool:
    return all(count < limit for count, (_, _, limit) in zip(counts, windows, strict=True))


class LocalPolicy:
    """This worker's memory only (the fallback when the node table cannot be used)."""

    def __init__(self, counters: LocalCounters) -> None:
        self._counters = counters

    async def consume(self, windows: Sequence[Window], now: float) -> list[int]:
        counts = [self._counters.usage(key, now) for key, _, _ in windows]
        if _allowed(counts, windows):
            for key, expires_at, _ in windows:
                self._counters.increment(key, expires_at, now)
        return counts


class NodePolicy:
    """The `local` policy over counters shared by every worker process of the node (checked and counted
    under one lock, so workers racing on a key never pass a limit)."""

    def __init__(self, counters: SharedCounters) -> None:
        self.counters = counters

    async def consume(self, windows: Sequence[Window], now: float) -> list[int]:
        return self.counters.consume(
            [(key, expires_at) for key, expires_at, _ in windows], [limit for _, _, limit in windows], now
        )


@dataclass(frozen=True, slots=True)
class RedisSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    database: int
    timeout_ms: int
    ssl: bool
    ssl_verify: bool
    server_name: str | None

    def client(self) -> aioredis.Redis:
        # redis is imported by the nodes that use it, not by every worker (it weighs megabytes per process)
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        timeout = self.timeout_ms / 1000
        tls: dict[str, object] = {}
        if self.ssl:
            tls = {
                "ssl": True,
                "ssl_cert_reqs": "required" if self.ssl_verify else "none",
                "ssl_check_hostname": self.ssl_verify,
            }
        return aioredis.Redis(
            host=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            db=self.database,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One attempt per request, bounded by redis_timeout: retries would stall every request while down.
            retry=Retry(NoBackoff(), 0),
            **tls,  # type: ignore[arg-type]
        )


class RedisPolicy:
    """Kong's `redis` policy: one counter per key, expiring at the end of its window."""

    def __init__(self, client: aioredis.Redis) -> None:
        from redis.exceptions import RedisError

        self._client = client
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError)

    async def close(self) -> None:
        await self._client.aclose()

    async def consume(self, windows: Sequence[Window], now: float) -> list[int]:
        # Read, then count (as Kong's redis policy): requests racing on other nodes may pass a limit by a few.
        try:
            values = await self._client.mget([key for key, _, _ in windows])
            counts = [int(v) if v is not None else 0 for v in values]
            if _allowed(counts, windows):
                async with self._client.pipeline(transaction=False) as pipe:
                    for key, expires_at, _ in windows:
                        pipe.incrby(key, 1)
                        pipe.expireat(key, int(expires_at) + 1)
                    await pipe.execute()
        except self._errors as exc:
            raise CounterError(f"redis: {exc}") from exc
        return counts
