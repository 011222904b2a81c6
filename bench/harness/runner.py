"""Start every selected scenario on its own private servers, measure them in interleaved rounds, collect points."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from .environment import BenchEnvironment
from .measure import sample_tree
from .procs import ProcessSet, StartupError
from .results import Outcome, Point
from .scenarios import Deployment, Scenario, ScenarioError
from .templates import TemplateError
from .wrk import WrkError, WrkResult, run_wrk

__all__ = ["measure_point", "run_router_bench", "run_scenarios"]

Progress = Callable[[str], None]
_EXPECTED_FAILURES = (StartupError, ScenarioError, WrkError, TemplateError, httpx.HTTPError, OSError)


def measure_point(
    deployment: Deployment,
    scenario: str,
    connections: int,
    *,
    duration_s: float,
    warmup_s: float,
    identity_requests: Callable[[], int] = lambda: 0,
) -> Point:
    """A warm-up run, then one measured wrk run.

    CPU is the CPU time of the server's whole process tree during the measured run, per request; RSS is the
    largest worker's resident size after it (the single process's when there are no workers).
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
    before, identity_before = sample_tree(root), identity_requests()
    result = load(duration_s)
    after, identity_after = sample_tree(root), identity_requests()
    cpu = (after.cpu_seconds - before.cpu_seconds) * 1e6 / result.requests if result.requests else None
    return Point(
        scenario=scenario,
        connections=connections,
        requests=result.requests,
        requests_per_second=result.requests_per_second,
        p50_us=result.p50_us,
        p99_us=result.p99_us,
        cpu_us_per_request=cpu,
        worker_rss_bytes=after.max_child_rss_bytes or after.root_rss_bytes or None,
        problems=tuple(result.problems()),
        identity_requests=identity_after - identity_before,
    )


def better(candidate: Point, incumbent: Point | None) -> bool:
    """Best of the rounds: valid beats invalid, then higher req/s (other tenants of the cores only subtract)."""
    if incumbent is None:
        return True
    if bool(candidate.problems) != bool(incumbent.problems):
        return not candidate.problems
    return candidate.requests_per_second > incumbent.requests_per_second


def _fail(outcome: Outcome, exc: BaseException, progress: Progress) -> None:
    outcome.status = "failed"
    outcome.points.clear()
    if isinstance(exc, _EXPECTED_FAILURES):
        outcome.reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        progress(f"{outcome.scenario}: FAILED: {exc}")
    else:  # a harness bug in one scenario must not lose the others' numbers
        outcome.reason = f"harness error {type(exc).__name__}: {exc}".splitlines()[0][:300]
        progress(f"{outcome.scenario}: FAILED (harness error):\n{traceback.format_exc()}")


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
    """Start every scenario, then measure them in interleaved rounds and keep each point's best round.

    Interleaving spreads every scenario over the whole run, so a burst of load from something else on the
    machine hurts all of them alike instead of one, and the ratios stay meaningful.
    """
    outcomes = [Outcome(scenario.name, scenario.summary, "ok") for scenario in scenarios]
    deployed: list[tuple[Outcome, Deployment]] = []
    process_sets: list[ProcessSet] = []
    try:
        for scenario, outcome in zip(scenarios, outcomes, strict=True):
            reason = scenario.unavailable()
            if reason is not None:
                progress(f"{scenario.name}: not available: {reason}")
                outcome.status, outcome.reason = "not available", reason
                continue
            procs = ProcessSet()
            process_sets.append(procs)
            progress(f"{scenario.name}: starting")
            try:
                deployment = scenario.deploy(env, procs)
            except Exception as exc:
                _fail(outcome, exc, progress)
                procs.stop_all()
                continue
            outcome.note = deployment.note
            deployed.append((outcome, deployment))
        _note_idle_cpu(deployed, progress)
        best: dict[tuple[str, int], Point] = {}
        for round_number in range(1, max(1, rounds) + 1):
            for outcome, deployment in deployed:
                if outcome.status != "ok":
                    continue
                try:
                    for count in connections:
                        point = measure_point(
                            deployment,
                            outcome.scenario,
                            count,
                            duration_s=duration_s,
                            warmup_s=warmup_s,
                            identity_requests=env.identity_requests,
                        )
                        if deployment.server.process.exited():
                            raise ScenarioError(f"{deployment.server.name} exited during the run")
                        _report(progress, point, round_number, rounds)
                        if better(point, best.get((outcome.scenario, count))):
                            best[(outcome.scenario, count)] = point
                except Exception as exc:
                    _fail(outcome, exc, progress)
        for outcome in outcomes:
            if outcome.status == "ok":
                outcome.points = [best[(outcome.scenario, count)] for count in connections]
        return outcomes
    finally:
        for procs in process_sets:
            procs.stop_all()


def _note_idle_cpu(deployed: Sequence[tuple[Outcome, Deployment]], progress: Progress, seconds: float = 1.0) -> None:
    """Servers wait idle while others are measured; one that burns CPU while idle would skew the others."""
    time.sleep(seconds)  # let the last one started settle first
    roots = {id(deployment): deployment.server.process.pid for _, deployment in deployed}
    before = {key: sample_tree(pid).cpu_seconds for key, pid in roots.items()}
    time.sleep(seconds)
    for outcome, deployment in deployed:
        busy = (sample_tree(roots[id(deployment)]).cpu_seconds - before[id(deployment)]) / seconds
        if busy > 0.02:
            progress(f"{outcome.scenario}: uses {busy:.0%} of a core while idle")
            outcome.note = f"{outcome.note}; {busy:.0%} of a core while idle".lstrip("; ")


def _report(progress: Progress, point: Point, round_number: int, rounds: int) -> None:
    invalid = f" — INVALID: {'; '.join(point.problems)}" if point.problems else ""
    if point.identity_requests:
        invalid += f" ({point.identity_requests} requests to the provider/JWKS during the run)"
    progress(
        f"round {round_number}/{rounds} {point.scenario} c={point.connections}: "
        f"{point.requests_per_second:,.0f} req/s, p50 {point.p50_us / 1000:.2f} ms, "
        f"p99 {point.p99_us / 1000:.2f} ms{invalid}"
    )


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
