"""Render a run as a Markdown table (terminal and RESULTS.md alike) or as JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .machine import MachineInfo
from .results import Outcome, Point
from .targets import MB, TargetVerdict, evaluate

__all__ = ["RunReport", "append_results", "render_json", "render_markdown"]

BASELINE = "nginx-proxy"


class RunReport:
    """Everything measured in one run, plus the context needed to read it later."""

    def __init__(
        self,
        outcomes: Sequence[Outcome],
        machine: MachineInfo,
        *,
        started: dt.datetime,
        duration_s: float,
        warmup_s: float,
        rounds: int,
        load_before: tuple[float, float, float],
        load_after: tuple[float, float, float],
        extras: dict[str, Any] | None = None,
    ) -> None:
        self.outcomes = list(outcomes)
        self.machine = machine
        self.started = started
        self.duration_s = duration_s
        self.warmup_s = warmup_s
        self.rounds = rounds
        self.load_before = load_before
        self.load_after = load_after
        self.extras = extras or {}
        self.points = {(p.scenario, p.connections): p for o in self.outcomes for p in o.points}
        self.verdicts = evaluate(self.points)

    def ratio_to_baseline(self, point: Point) -> float | None:
        base = self.points.get((BASELINE, point.connections))
        if base is None or base.problems or base.requests_per_second <= 0 or point.problems:
            return None
        return point.requests_per_second / base.requests_per_second

    def cpu_ratio_to_baseline(self, point: Point) -> float | None:
        """CPU efficiency against the baseline: its CPU µs per request over this point's (higher is better)."""
        base = self.points.get((BASELINE, point.connections))
        if base is None or base.cpu_us_per_request is None or not point.cpu_us_per_request or point.problems:
            return None
        return base.cpu_us_per_request / point.cpu_us_per_request

    @property
    def machine_was_busy(self) -> bool:
        return self.load_before[0] > max(1, self.machine.cores) * 0.75

    def verdicts_for(self, point: Point) -> list[TargetVerdict]:
        return [
            v for v in self.verdicts if (v.target.scenario, v.target.connections) == (point.scenario, point.connections)
        ]


def _cell_met(verdicts: list[TargetVerdict]) -> str:
    if not verdicts:
        return ""
    return "; ".join("n/a" if v.met is None else ("yes" if v.met else "**no**") for v in verdicts)


def _table(report: RunReport) -> list[str]:
    lines = [
        f"| scenario | c | req/s | p50 ms | p99 ms | CPU µs/req | RSS/worker MB | x {BASELINE} | CPU x {BASELINE} "
        "| target | met? |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for outcome in report.outcomes:
        if outcome.status != "ok":
            lines.append(f"| {outcome.scenario} | | {outcome.status}: {outcome.reason} | | | | | | | | |")
            continue
        for point in outcome.points:
            ratio = report.ratio_to_baseline(point)
            cpu_ratio = report.cpu_ratio_to_baseline(point)
            verdicts = report.verdicts_for(point)
            cpu = f"{point.cpu_us_per_request:.0f}" if point.cpu_us_per_request is not None else ""
            rss = f"{point.worker_rss_bytes / MB:.0f}" if point.worker_rss_bytes else ""
            rps = f"{point.requests_per_second:,.0f}" + (" (invalid)" if point.problems else "")
            target = "; ".join(f"{v.target.label} ({v.detail})" for v in verdicts)
            lines.append(
                f"| {point.scenario} | {point.connections} | {rps} | {point.p50_us / 1000:.2f} | "
                f"{point.p99_us / 1000:.2f} | {cpu} | {rss} | {'' if ratio is None else f'{ratio:.2f}'} | "
                f"{'' if cpu_ratio is None else f'{cpu_ratio:.2f}'} | "
                f"{target} | {_cell_met(verdicts)} |"
            )
    return lines


def render_markdown(report: RunReport) -> str:
    machine = report.machine
    versions = ", ".join(f"{name} {version}" for name, version in machine.versions.items())
    load = "/".join(f"{value:.2f}" for value in report.load_before)
    load_after = "/".join(f"{value:.2f}" for value in report.load_after)
    lines = [
        f"## {report.started:%Y-%m-%d %H:%M} UTC — sekisho {machine.sekisho_commit}",
        "",
        f"- machine: {machine.cpu_model}, {machine.cores} cores, {machine.memory_gb} GB, Linux {machine.kernel}",
        f"- software: {versions}, Python {machine.python}, sekisho hot path {machine.hot_path}",
        f"- method: wrk -t1 on loopback; {report.rounds} interleaved round(s) over all scenarios, each point "
        f"{report.warmup_s:g} s warm-up + {report.duration_s:g} s measured, best round kept; "
        f"load average before {load}, after {load_after}",
    ]
    if report.machine_was_busy:
        lines.append(
            f"- **warning**: the machine was busy before the run (load {report.load_before[0]:.1f} on "
            f"{machine.cores} cores): throughput ratios are unreliable; CPU µs/req holds up better"
        )
    lines += ["", *_table(report)]
    notes = [f"- {o.scenario}: {o.note}" for o in report.outcomes if o.note and o.status == "ok"]
    notes += [
        f"- {p.scenario} c={p.connections}: {p.identity_requests} requests to the provider/JWKS during the measured run"
        for o in report.outcomes
        for p in o.points
        if p.identity_requests
    ]
    failures = [f"- {o.scenario}: {o.reason}" for o in report.outcomes if o.status == "failed"]
    if notes:
        lines += ["", "Setup:", *notes]
    if failures:
        lines += ["", "Failures:", *failures]
    router = report.extras.get("router_bench")
    if isinstance(router, dict):
        lines += ["", "Router micro-benchmark (`bench/router_bench.py --json`, in-process, no network):", ""]
        lines += _nested_table(router)
    return "\n".join(lines) + "\n"


def _nested_table(document: dict[str, Any]) -> list[str]:
    """A table with one row per dict-valued entry (columns: the union of their keys), other entries below."""
    rows = {name: value for name, value in document.items() if isinstance(value, dict)}
    scalars = {name: value for name, value in document.items() if not isinstance(value, dict)}
    lines: list[str] = []
    if rows:
        columns = list(dict.fromkeys(key for row in rows.values() for key in row))
        lines.append("| | " + " | ".join(columns) + " |")
        lines.append("|---|" + "---:|" * len(columns))
        for name, row in rows.items():
            lines.append(f"| {name} | " + " | ".join(_cell(row.get(column)) for column in columns) + " |")
    if scalars:
        lines += ["", ", ".join(f"{name}: {_cell(value)}" for name, value in scalars.items())]
    return lines


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def render_json(report: RunReport) -> str:
    document = {
        "started": report.started.isoformat(),
        "machine": report.machine.as_dict(),
        "duration_s": report.duration_s,
        "warmup_s": report.warmup_s,
        "rounds": report.rounds,
        "load_average_before": report.load_before,
        "load_average_after": report.load_after,
        "machine_was_busy": report.machine_was_busy,
        "scenarios": [
            {
                **{key: value for key, value in asdict(outcome).items() if key != "points"},
                "points": [
                    {
                        **asdict(point),
                        "ratio_to_nginx_proxy": report.ratio_to_baseline(point),
                        "cpu_ratio_to_nginx_proxy": report.cpu_ratio_to_baseline(point),
                    }
                    for point in outcome.points
                ],
            }
            for outcome in report.outcomes
        ],
        "targets": [
            {
                "scenario": v.target.scenario,
                "connections": v.target.connections,
                "target": v.target.label,
                "met": v.met,
                "detail": v.detail,
            }
            for v in report.verdicts
        ],
        **report.extras,
    }
    return json.dumps(document, indent=2)


def append_results(path: Path, report: RunReport) -> None:
    """Append this run's section to RESULTS.md (created with a short header when missing)."""
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\n"
            "Appended by `make bench` (`scripts/bench`), newest last. How to read a section:\n\n"
            "- Everything runs on one machine over loopback: wrk (1 thread), the server measured and the nginx\n"
            "  upstream share the same cores, so absolute req/s move with the machine and with whatever else\n"
            "  runs on it. Ratios measured within one run are what count.\n"
            "- `x nginx-proxy`: req/s over nginx reverse proxy's req/s at the same connection count. This is what\n"
            "  the targets use.\n"
            "- `CPU µs/req`: CPU time of the measured server's processes (all of them) per request.\n"
            "  `CPU x nginx-proxy` is nginx proxy's CPU µs/req over this row's (higher is better). It is less\n"
            "  sensitive than req/s to other load on a shared machine.\n"
            "- `RSS/worker MB`: the largest worker process's resident memory after the run (nginx and Apache:\n"
            "  their largest child; sekisho: its largest proxy worker).\n"
            "- Scenarios are started together and measured in interleaved rounds; each point keeps its best round.\n"
        )
    with path.open("a") as results:
        results.write("\n" + render_markdown(report))
