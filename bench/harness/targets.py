"""The performance goals from the gateway and OIDC issues, evaluated against one run's measurements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .results import Point

__all__ = ["TARGETS", "Target", "TargetVerdict", "evaluate"]

MB = 1024 * 1024
REFERENCE = "nginx-proxy"  # latency targets also show its p99 from the same run, for scale


@dataclass(frozen=True)
class Target:
    """A goal for one (scenario, connections) point: either a throughput ratio, a p99 bound or an RSS bound."""

    scenario: str
    connections: int
    label: str
    versus: str | None = None  # ratio targets: req/s of `scenario` >= minimum x req/s of `versus`, same c
    minimum_ratio: float = 0.0
    max_p99_us: int | None = None
    max_worker_rss_bytes: int | None = None


@dataclass(frozen=True)
class TargetVerdict:
    target: Target
    met: bool | None  # None: a point needed for the comparison was not measured
    detail: str


TARGETS: tuple[Target, ...] = (
    Target("sekisho-1-route", 64, ">= 0.6 x nginx-proxy", versus="nginx-proxy", minimum_ratio=0.6),
    Target("sekisho-1-route", 16, "p99 <= 2 ms", max_p99_us=2000),
    Target("sekisho-10k-routes", 64, ">= 0.9 x sekisho-1-route", versus="sekisho-1-route", minimum_ratio=0.9),
    Target("sekisho-10k-routes", 16, "p99 <= 2 ms", max_p99_us=2000),
    Target("sekisho-10k-routes", 64, "RSS/worker <= 100 MB", max_worker_rss_bytes=100 * MB),
    Target("sekisho-oidc-bearer", 64, ">= 3 x apache-oidc-bearer", versus="apache-oidc-bearer", minimum_ratio=3.0),
    Target("sekisho-oidc-bearer", 64, ">= 0.5 x nginx-proxy", versus="nginx-proxy", minimum_ratio=0.5),
    Target("sekisho-oidc-session", 64, ">= 2 x apache-oidc-session", versus="apache-oidc-session", minimum_ratio=2.0),
)


def evaluate(points: Mapping[tuple[str, int], Point], targets: tuple[Target, ...] = TARGETS) -> list[TargetVerdict]:
    """A verdict for every target whose own scenario was measured (others are not reported)."""
    verdicts: list[TargetVerdict] = []
    for target in targets:
        point = points.get((target.scenario, target.connections))
        if point is None:
            continue
        verdicts.append(_verdict(target, point, points))
    return verdicts


def _verdict(target: Target, point: Point, points: Mapping[tuple[str, int], Point]) -> TargetVerdict:
    if point.problems:
        return TargetVerdict(target, False, "invalid run: " + "; ".join(point.problems))
    if target.versus is not None:
        base = points.get((target.versus, target.connections))
        if base is None or base.problems or base.requests_per_second <= 0:
            return TargetVerdict(target, None, f"{target.versus} at c={target.connections} not measured")
        ratio = point.requests_per_second / base.requests_per_second
        return TargetVerdict(target, ratio >= target.minimum_ratio, f"{ratio:.2f} x {target.versus}")
    if target.max_p99_us is not None:
        detail = f"p99 {point.p99_us / 1000:.2f} ms"
        reference = points.get((REFERENCE, target.connections))
        if reference is not None and not reference.problems:  # what the machine allows right now
            detail += f"; {REFERENCE} {reference.p99_us / 1000:.2f} ms"
        return TargetVerdict(target, point.p99_us <= target.max_p99_us, detail)
    if target.max_worker_rss_bytes is not None:
        if point.worker_rss_bytes is None:
            return TargetVerdict(target, None, "RSS not sampled")
        rss = point.worker_rss_bytes
        return TargetVerdict(target, rss <= target.max_worker_rss_bytes, f"{rss / MB:.0f} MB per worker")
    raise ValueError(f"target {target.label!r} has no criterion")
