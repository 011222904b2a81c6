"""Load balancing over an upstream's targets, with passive health tracking (Kong's ring-balancer).

Algorithms: weighted round-robin (nginx's smooth variant), consistent-hashing (a weighted hash ring) and
least-connections. Health state lives in `TargetHealth` objects the runtime keeps across snapshots, so a
configuration reload does not forget which targets are down.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Balancer", "HealthPolicy", "Target", "TargetHealth"]


@dataclass(slots=True)
class TargetHealth:
    """Counters of one target; `healthy` flips when a counter reaches its threshold."""

    healthy: bool = True
    successes: int = 0
    http_failures: int = 0
    tcp_failures: int = 0
    timeouts: int = 0

    def reset(self, healthy: bool) -> None:
        self.healthy = healthy
        self.successes = self.http_failures = self.tcp_failures = self.timeouts = 0


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """Thresholds from `healthchecks.passive` (or `.active`); 0 disables a counter."""

    healthy_statuses: frozenset[int]
    healthy_successes: int
    unhealthy_statuses: frozenset[int]
    http_failures: int
    tcp_failures: int
    timeouts: int

    @classmethod
    def from_config(cls, conf: dict[str, Any] | None) -> HealthPolicy:
        conf = conf or {}
        healthy = conf.get("healthy") or {}
        unhealthy = conf.get("unhealthy") or {}
        return cls(
            healthy_statuses=frozenset(healthy.get("http_statuses") or ()),
            healthy_successes=int(healthy.get("successes") or 0),
            unhealthy_statuses=frozenset(unhealthy.get("http_statuses") or ()),
            http_failures=int(unhealthy.get("http_failures") or 0),
            tcp_failures=int(unhealthy.get("tcp_failures") or 0),
            timeouts=int(unhealthy.get("timeouts") or 0),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.http_failures or self.tcp_failures or self.timeouts or self.healthy_successes)

    def record_status(self, health: TargetHealth, status: int) -> None:
        if status in self.unhealthy_statuses:
            health.successes = 0
            health.http_failures += 1
            if self.http_failures and health.http_failures >= self.http_failures:
                health.healthy = False
        elif status in self.healthy_statuses:
            health.http_failures = health.tcp_failures = health.timeouts = 0
            health.successes += 1
            if self.healthy_successes and health.successes >= self.healthy_successes:
                health.healthy = True

    def record_tcp_failure(self, health: TargetHealth) -> None:
        health.successes = 0
        health.tcp_failures += 1
        if self.tcp_failures and health.tcp_failures >= self.tcp_failures:
            health.healthy = False

    def record_timeout(self, health: TargetHealth) -> None:
        health.successes = 0
        health.timeouts += 1
        if self.timeouts and health.timeouts >= self.timeouts:
            health.healthy = False


class Target:
    """One `host:port` with its weight; `active` counts in-flight requests (least-connections)."""

    __slots__ = ("active", "current", "health", "host", "name", "port", "weight")

    def __init__(self, host: str, port: int, weight: int, health: TargetHealth) -> None:
        self.host = host
        self.port = port
        self.weight = weight
        self.health = health
        self.name = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        self.current = 0
        self.active = 0


def split_target(value: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` into (host, port)."""
    if value.startswith("["):
        host, _, port = value[1:].partition("]:")
        return host, int(port or 8000)
    host, _, port = value.rpartition(":")
    return host, int(port)


class Balancer:
    """Chooses a target for each try of a request."""

    __slots__ = ("_ring", "_ring_keys", "algorithm", "name", "passive", "targets", "threshold", "upstream")

    def __init__(self, upstream: dict[str, Any], targets: Sequence[Target]) -> None:
        self.upstream = upstream
        self.name: str = upstream["name"]
        self.algorithm: str = upstream.get("algorithm") or "round-robin"
        self.targets = [t for t in targets if t.weight > 0]
        checks = upstream.get("healthchecks") or {}
        self.passive = HealthPolicy.from_config(checks.get("passive"))
        self.threshold = float(checks.get("threshold") or 0)
        self._ring: list[int] = []
        self._ring_keys: list[Target] = []
        if self.algorithm == "consistent-hashing":
            self._build_ring(int(upstream.get("slots") or 10000))

    def _build_ring(self, slots: int) -> None:
        total = sum(t.weight for t in self.targets) or 1
        points: list[tuple[int, Target]] = []
        for target in self.targets:
            count = max(1, min(slots, slots * target.weight // total) // 10)
            for i in range(count):
                digest = hashlib.blake2b(f"{target.name}#{i}".encode(), digest_size=8).digest()
                points.append((int.from_bytes(digest, "big"), target))
        points.sort(key=lambda p: p[0])
        self._ring = [p[0] for p in points]
        self._ring_keys = [p[1] for p in points]

    def available(self) -> bool:
        healthy = [t for t in self.targets if t.health.healthy]
        if not healthy:
            return False
        if self.threshold:
            total = sum(t.weight for t in self.targets)
            up = sum(t.weight for t in healthy)
            return total > 0 and up * 100 / total >= self.threshold
        return True

    @property
    def hashed(self) -> bool:
        return self.algorithm == "consistent-hashing" and bool(self._ring)

    def select(self, hash_key: str | None, tried: list[Target] | None) -> Target | None:
        """A healthy target, avoiding those already `tried`; `hash_key` feeds consistent-hashing."""
        if not self.available():
            return None
        if self.algorithm == "consistent-hashing" and self._ring:
            return self._select_hashed(hash_key, tried)
        if self.algorithm == "least-connections":
            return self._select_least(tried)
        return self._select_round_robin(tried)

    def _candidates(self, tried: list[Target] | None) -> list[Target]:
        healthy = [t for t in self.targets if t.health.healthy]
        if tried:
            fresh = [t for t in healthy if t not in tried]
            return fresh or healthy
        return healthy

    def _select_round_robin(self, tried: list[Target] | None) -> Target | None:
        candidates = self._candidates(tried)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        total = 0
        best: Target | None = None
        for target in candidates:
            target.current += target.weight
            total += target.weight
            if best is None or target.current > best.current:
                best = target
        assert best is not None
        best.current -= total
        return best

    def _select_least(self, tried: list[Target] | None) -> Target | None:
        candidates = self._candidates(tried)
        if not candidates:
            return None
        return min(candidates, key=lambda t: (t.active / t.weight, -t.weight))

    def _select_hashed(self, key: str | None, tried: list[Target] | None) -> Target | None:
        if key is None:
            return self._select_round_robin(tried)
        point = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
        index = bisect.bisect(self._ring, point) % len(self._ring)
        for offset in range(len(self._ring)):
            target = self._ring_keys[(index + offset) % len(self._ring)]
            if target.health.healthy and (not tried or target not in tried):
                return target
        return self._select_round_robin(None)

    def report_status(self, target: Target, status: int) -> None:
        if self.passive.enabled:
            self.passive.record_status(target.health, status)

    def report_tcp_failure(self, target: Target) -> None:
        if self.passive.enabled:
            self.passive.record_tcp_failure(target.health)

    def report_timeout(self, target: Target) -> None:
        if self.passive.enabled:
            self.passive.record_timeout(target.health)
