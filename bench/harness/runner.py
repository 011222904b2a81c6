"""Run the selected scenarios one after another, each on its own private servers, and collect the points."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from .environment import BenchEnvironment
from .measure import TreeSample, sample_tree
from .procs import ProcessSet, StartupError
from .results import Outcome, Point
from .scenarios import Deployment, Scenario, ScenarioError
from .templates import TemplateError
from .wrk import WrkError, WrkResult, run_wrk

__all__ = ["measure_point", "run_router_bench", "run_scenarios"]

Progress = Callable[[str], None]
_EXPECTED_FAILURES = (StartupError, ScenarioError, WrkError, TemplateError, httpx.HTTPError, OSError)


def measure_point(
    deployment: Deployment, scenario: str, connections: int, *, duration_s: float, warmup_s: float, rounds: int = 1
) -> Point:
    """Warm up, then `rounds` measured wrk runs; the best one counts (other tenants of the cores only subtract).

    CPU is the CPU time of the server's whole process tree during that run, per request.
    """

    def load(seconds: float) -> WrkResult:
        return run_wrk(
            deployment.url,
            connections=connections,
            duration_s=seconds,
            headers=deployment.headers,
            requests=deployment.requests,
        )

    if warmup_s > 0:
        load(warmup_s)
    root = deployment.server.process.pid
    best: Point | None = None
    for _ in range(max(1, rounds)):
        before = sample_tree(root)
        result = load(duration_s)
        after = sample_tree(root)
        point = _point(scenario, connections, result, before, after)
        if best is None or _better(point, best):
            best = point
    assert best is not None
    return best


def _better(candidate: Point, incumbent: Point) -> bool:
    if bool(candidate.problems) != bool(incumbent.problems):
        return not candidate.problems
    return candidate.requests_per_second > incumbent.requests_per_second


def _point(scenario: str, connections: int, result: WrkResult, before: TreeSample, after: TreeSample) -> Point:
    cpu = (after.cpu_seconds - before.cpu_seconds) * 1e6 / result.requests if result.requests else None
    worker_rss = after.max_child_rss_bytes or after.root_rss_bytes or None
    return Point(
        scenario=scenario,
        connections=connections,
        requests=result.requests,
        requests_per_second=result.requests_per_second,
        p50_us=result.p50_us,
        p99_us=result.p99_us,
        cpu_us_per_request=cpu,
        worker_rss_bytes=worker_rss,
        problems=tuple(result.problems()),
    )


def run_scenarios(
    env: BenchEnvironment,
    scenarios: Sequence[Scenario],
    *,
    connections: Sequence[int],
    duration_s: float,
    warmup_s: float,
    rounds: int,
    progress: Progress,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for scenario in scenarios:
        reason = scenario.unavailable()
        if reason is not None:
            progress(f"{scenario.name}: not available: {reason}")
            outcomes.append(Outcome(scenario.name, scenario.summary, "not available", reason=reason))
            continue
        outcome = Outcome(scenario.name, scenario.summary, "ok")
        procs = ProcessSet()
        try:
            progress(f"{scenario.name}: starting")
            deployment = scenario.deploy(env, procs)
            outcome.note = deployment.note
            for count in connections:
                progress(f"{scenario.name}: c={count}, {warmup_s:g} s warm-up + {rounds} x {duration_s:g} s")
                point = measure_point(
                    deployment, scenario.name, count, duration_s=duration_s, warmup_s=warmup_s, rounds=rounds
                )
                progress(
                    f"{scenario.name}: c={count}: {point.requests_per_second:,.0f} req/s, "
                    f"p50 {point.p50_us / 1000:.2f} ms, p99 {point.p99_us / 1000:.2f} ms"
                    + (f" — INVALID: {'; '.join(point.problems)}" if point.problems else "")
                )
                outcome.points.append(point)
        except _EXPECTED_FAILURES as exc:
            outcome.status = "failed"
            outcome.reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            progress(f"{scenario.name}: FAILED: {exc}")
        finally:
            procs.stop_all()
        outcomes.append(outcome)
    return outcomes


def run_router_bench(repository: Path, progress: Progress, *, timeout_s: float = 120.0) -> dict[str, Any] | None:
    """`bench/router_bench.py --json` (written by the router's owner) when it exists; its JSON object."""
    script = repository / "bench" / "router_bench.py"
    if not script.exists():
        return None
    progress("router micro-benchmark: bench/router_bench.py --json")
    try:
        completed = subprocess.run(
            [sys.executable, str(script), "--json"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            cwd=repository,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s:.0f} s"}
    if completed.returncode != 0:
        return {"error": f"exit status {completed.returncode}: {completed.stderr.strip()[-300:]}"}
    try:
        parsed = json.loads(completed.stdout)
    except json.JSONDecodeError:
        return {"error": "output is not JSON", "output": completed.stdout[-300:]}
    return parsed if isinstance(parsed, dict) else {"result": parsed}
