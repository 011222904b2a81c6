"""Where rate-limit counters live: `local` (this worker's memory) or `redis` (shared by workers and nodes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from sekisho.plugins.rate_limiting.counters import LocalCounters
from sekisho.plugins.rate_limiting.shared import SharedCounters

__all__ = ["CounterError", "LocalPolicy", "NodePolicy", "Policy", "RedisPolicy", "RedisSettings"]


class CounterError(Exception):
    """The counter store could not be read or written."""


class Policy(Protocol):
    async def usage(self, keys: Sequence[str], now: float) -> list[int]: ...

    async def increment(self, keys: Sequence[tuple[str, float]], now: float) -> None:
        """Add one to each key; `(key, expires_at)` with the Unix time its window ends."""
        ...


class LocalPolicy:
    def __init__(self, counters: LocalCounters) -> None:
        self._counters = counters

    async def usage(self, keys: Sequence[str], now: float) -> list[int]:
        return [self._counters.usage(key, now) for key in keys]

    async def increment(self, keys: Sequence[tuple[str, float]], now: float) -> None:
        for key, expires_at in keys:
            self._counters.increment(key, expires_at, now)


class NodePolicy:
    """The `local` policy over counters shared by every worker process of the node."""

    def __init__(self, counters: SharedCounters) -> None:
        self.counters = counters

    async def usage(self, keys: Sequence[str], now: float) -> list[int]:
        return self.counters.usage(keys, now)

    async def increment(self, keys: Sequence[tuple[str, float]], now: float) -> None:
        self.counters.increment(keys, now)


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
        self._client = client

    async def close(self) -> None:
        await self._client.aclose()

    async def usage(self, keys: Sequence[str], now: float) -> list[int]:
        try:
            values = await self._client.mget(list(keys))
        except (RedisError, OSError) as exc:
            raise CounterError(f"redis: {exc}") from exc
        return [int(v) if v is not None else 0 for v in values]

    async def increment(self, keys: Sequence[tuple[str, float]], now: float) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, expires_at in keys:
                    pipe.incrby(key, 1)
                    pipe.expireat(key, int(expires_at) + 1)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise CounterError(f"redis: {exc}") from exc
