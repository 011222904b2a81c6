"""`RuntimeHealth`: the Admin API's view of a worker runtime's balancer health (`HealthChecks`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sekisho.runtime import Runtime
from sekisho.runtime.balancer import HealthPolicy
from sekisho.store.base import Row

__all__ = ["HEALTHCHECKS_OFF", "HEALTHY", "UNHEALTHY", "RuntimeHealth"]

HEALTHY = "HEALTHY"
UNHEALTHY = "UNHEALTHY"
HEALTHCHECKS_OFF = "HEALTHCHECKS_OFF"


def _checks_enabled(upstream: Row) -> bool:
    checks: Mapping[str, Any] = upstream.get("healthchecks") or {}
    active = checks.get("active") or {}
    passive = checks.get("passive") or {}
    if any((active.get(side) or {}).get("interval") for side in ("healthy", "unhealthy")):
        return True
    return HealthPolicy.from_config(dict(passive)).enabled


class RuntimeHealth:
    """Health states kept by a `Runtime` (per upstream id and `host:port` target)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _state(self, upstream: Row, target: Row) -> str:
        health = self.runtime.health(str(upstream["id"]), str(target["target"]))
        if not health.healthy:
            return UNHEALTHY
        return HEALTHY if _checks_enabled(upstream) else HEALTHCHECKS_OFF

    async def target_health(self, upstream: Row, targets: list[Row]) -> Mapping[str, str]:
        return {str(t["id"]): self._state(upstream, t) for t in targets}

    async def balancer_health(self, upstream: Row, targets: list[Row]) -> str:
        targets = [t for t in targets if int(t.get("weight") or 0) > 0]
        states = [self._state(upstream, t) for t in targets]
        if states and all(s == HEALTHCHECKS_OFF for s in states):
            return HEALTHCHECKS_OFF
        total = sum(int(t["weight"]) for t in targets)
        healthy = sum(int(t["weight"]) for t, s in zip(targets, states, strict=True) if s != UNHEALTHY)
        threshold = float((upstream.get("healthchecks") or {}).get("threshold") or 0)
        if total == 0:
            return HEALTHCHECKS_OFF if not _checks_enabled(upstream) else UNHEALTHY
        return HEALTHY if healthy * 100 / total >= threshold and healthy > 0 else UNHEALTHY

    async def set_target_health(self, upstream: Row, target: Row, address: str | None, healthy: bool) -> None:
        self.runtime.health(str(upstream["id"]), str(target["target"])).reset(healthy)
