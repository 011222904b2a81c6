"""What a run measured: one Point per (scenario, connections), one Outcome per scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Outcome", "Point"]


@dataclass(frozen=True)
class Point:
    scenario: str
    connections: int
    requests: int
    requests_per_second: float
    p50_us: int
    p99_us: int
    cpu_us_per_request: float | None  # CPU of the measured server's processes (all of them) per request
    worker_rss_bytes: int | None  # largest worker process RSS after the run (the single process if none)
    problems: tuple[str, ...] = ()
    identity_requests: int = 0  # requests to the provider or JWKS during the measured run


@dataclass
class Outcome:
    scenario: str
    summary: str
    status: Literal["ok", "not available", "failed"]
    reason: str = ""
    note: str = ""
    points: list[Point] = field(default_factory=list)
