"""`rate-limiting`: count requests per caller in fixed windows (local or Redis counters); 429 over the limit."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.rate_limiting.counters import LocalCounters
from sekisho.plugins.rate_limiting.policies import (
    CounterError,
    LocalPolicy,
    NodePolicy,
    Policy,
    RedisPolicy,
    RedisSettings,
)
from sekisho.plugins.rate_limiting.schema import CONFIG, PERIODS
from sekisho.plugins.rate_limiting.shared import SharedCounters, default_path
from sekisho.plugins.rate_limiting.windows import EXPIRATION, window_starts

__all__ = ["Handler", "RateLimitingConf", "Usage", "client_headers"]


@dataclass(frozen=True, slots=True)
class RateLimitingConf:
    limits: tuple[tuple[str, float], ...]  # (period, limit) in PERIODS order
    limit_by: str
    header_name: str | None
    path: str | None
    redis: RedisSettings | None  # None: the local policy
    fault_tolerant: bool
    hide_client_headers: bool
    error_code: int
    error_message: str


@dataclass(frozen=True, slots=True)
class Usage:
    period: str
    limit: float
    remaining: float


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def client_headers(usages: list[Usage], stop: str | None, now: float) -> tuple[dict[str, str], int]:
    """Kong's headers: per period `X-RateLimit-*-<Period>`, and `RateLimit-*` for the most constrained window.

    Returns the headers and the `RateLimit-Reset` seconds (also `Retry-After` when refused)."""
    headers: dict[str, str] = {}
    starts = window_starts(now)  # memoized per second: the same table access() used
    best: tuple[float, float, int] | None = None  # remaining, limit, window
    reset = 1
    for usage in usages:
        remaining = usage.remaining - 1 if stop is None or stop == usage.period else usage.remaining
        remaining = max(0, remaining)
        window = EXPIRATION[usage.period]
        if best is None or remaining < best[0] or (remaining == best[0] and window > best[2]):
            best = (remaining, usage.limit, window)
            reset = max(1, window - math.floor(now - starts[usage.period]))
        title = usage.period.capitalize()
        headers[f"X-RateLimit-Limit-{title}"] = _num(usage.limit)
        headers[f"X-RateLimit-Remaining-{title}"] = _num(remaining)
    if best is not None:
        headers["RateLimit-Limit"] = _num(best[1])
        headers["RateLimit-Remaining"] = _num(best[0])
        headers["RateLimit-Reset"] = str(reset)
    return headers, reset


class Handler(Plugin[RateLimitingConf]):
    NAME = "rate-limiting"
    PRIORITY = 910
    VERSION = "3.4.0"
    CONFIG = CONFIG

    def __init__(self) -> None:
        self._local: Policy | None = None
        self._redis: dict[RedisSettings, RedisPolicy] = {}

    def _local_policy(self, kong: PDK) -> Policy:
        """Node-wide counters in a shared file; this worker's memory when the file cannot be used."""
        if self._local is None:
            try:
                self._local = NodePolicy(SharedCounters(default_path(kong.node.get_id())))
            except OSError as exc:
                kong.log.warn("rate-limiting: node-wide counters unavailable, counting per worker: ", exc)
                self._local = LocalPolicy(LocalCounters())
        return self._local

    def _policy(self, kong: PDK, conf: RateLimitingConf) -> Policy:
        if conf.redis is None:
            return self._local_policy(kong)
        policy = self._redis.get(conf.redis)
        if policy is None:
            policy = self._redis[conf.redis] = RedisPolicy(conf.redis.client())
        return policy

    async def close(self) -> None:
        """Close Redis connections and the node table (the worker is stopping)."""
        policies, self._redis = list(self._redis.values()), {}
        for policy in policies:
            await policy.close()
        local, self._local = self._local, None
        if isinstance(local, NodePolicy):
            local.counters.close()

    def prepare(self, config: Mapping[str, Any]) -> RateLimitingConf:
        redis = None
        if config.get("policy") == "redis":
            redis = RedisSettings(
                host=config["redis_host"],
                port=int(config.get("redis_port") or 6379),
                username=config.get("redis_username"),
                password=config.get("redis_password"),
                database=int(config.get("redis_database") or 0),
                timeout_ms=int(config.get("redis_timeout") or 2000),
                ssl=bool(config.get("redis_ssl")),
                ssl_verify=bool(config.get("redis_ssl_verify")),
                server_name=config.get("redis_server_name"),
            )
        return RateLimitingConf(
            limits=tuple((p, float(config[p])) for p in PERIODS if config.get(p) is not None),
            limit_by=config.get("limit_by") or "consumer",
            header_name=config.get("header_name"),
            path=config.get("path"),
            redis=redis,
            fault_tolerant=bool(config["fault_tolerant"]),
            hide_client_headers=bool(config["hide_client_headers"]),
            error_code=int(config.get("error_code") or 429),
            error_message=config.get("error_message") or "API rate limit exceeded",
        )

    async def access(self, kong: PDK, conf: RateLimitingConf) -> None:
        now = time.time()
        identifier = _identifier(kong, conf)
        route_id = (kong.router.get_route() or {}).get("id") or ""
        service_id = (kong.router.get_service() or {}).get("id") or ""
        starts = window_starts(now)
        keys = {p: f"ratelimit:{route_id}:{service_id}:{identifier}:{starts[p]}:{p}" for p, _ in conf.limits}

        policy = self._policy(kong, conf)
        try:
            windows = [(keys[p], starts[p] + EXPIRATION[p], limit) for p, limit in conf.limits]
            counts = await policy.consume(windows, now)  # counts this request unless a limit is reached
        except CounterError as exc:
            if not conf.fault_tolerant:
                kong.log.err("failed to get usage: ", exc)
                kong.response.error(500)
            kong.log.err("failed to get usage: ", exc)
            return
        usages: list[Usage] = []
        stop: str | None = None
        for (period, limit), count in zip(conf.limits, counts, strict=True):
            remaining = limit - count
            usages.append(Usage(period, limit, remaining))
            if remaining <= 0:
                stop = period

        headers: dict[str, str] = {}
        reset: int | None = None
        if not conf.hide_client_headers:
            headers, reset = client_headers(usages, stop, now)
        if stop is not None:
            if reset is not None:
                headers["Retry-After"] = str(reset)
            kong.response.error(conf.error_code, conf.error_message, headers)
        if headers:
            kong.ctx.plugin["headers"] = headers

    def header_filter(self, kong: PDK, conf: RateLimitingConf) -> None:
        headers = kong.ctx.plugin.get("headers")
        if headers:
            kong.response.set_headers(headers)


def _identifier(kong: PDK, conf: RateLimitingConf) -> str:
    identifier: Any = None
    if conf.limit_by == "service":
        identifier = (kong.router.get_service() or {}).get("id")
    elif conf.limit_by == "consumer":
        identifier = (kong.client.get_consumer() or kong.client.get_credential() or {}).get("id")
    elif conf.limit_by == "credential":
        identifier = (kong.client.get_credential() or {}).get("id")
    elif conf.limit_by == "header" and conf.header_name:
        identifier = kong.request.get_header(conf.header_name)
    elif conf.limit_by == "path" and kong.request.get_path() == conf.path:
        identifier = conf.path
    return str(identifier) if identifier else kong.client.get_forwarded_ip()
