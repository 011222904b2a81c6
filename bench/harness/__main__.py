"""`python -m bench.harness`: the `make bench` entry point (see --help)."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType

from .environment import BenchEnvironment
from .machine import describe_machine, load_average
from .procs import ProcessSet
from .report import RunReport, append_results, render_json, render_markdown
from .runner import run_router_bench, run_scenarios
from .scenarios import SCENARIOS

REPOSITORY = Path(__file__).resolve().parents[2]
RESULTS = REPOSITORY / "bench" / "RESULTS.md"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make bench",
        description="Load benchmarks on loopback: nginx, Apache + mod_auth_openidc and sekisho, measured with wrk.",
    )
    parser.add_argument("--quick", action="store_true", help="short runs (1 round, 2 s per point)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="SCENARIO",
        help="run only these scenarios or groups such as 'sekisho' (repeatable, comma separated; see --list)",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory with configs and logs")
    parser.add_argument("--duration", type=float, help="measured seconds per point and round (default 3, quick 2)")
    parser.add_argument(
        "--rounds", type=int, help="interleaved rounds over all scenarios; each point's best counts (default 3)"
    )
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each measured point (default 1)")
    parser.add_argument("--connections", default="16,64", help="comma-separated wrk connection counts (default 16,64)")
    return parser.parse_args(argv)


def _selected(only: list[str] | None) -> list[str]:
    """Scenario names from --only: exact names or groups (`nginx`, `apache`, `sekisho`, `sekisho-oidc`, ...)."""
    if not only:
        return list(SCENARIOS)
    wanted = [name.strip() for entry in only for name in entry.split(",") if name.strip()]
    chosen: set[str] = set()
    for name in wanted:
        matches = [known for known in SCENARIOS if known == name or known.startswith(name + "-")]
        if not matches:
            raise SystemExit(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        chosen.update(matches)
    return [name for name in SCENARIOS if name in chosen]


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through every finally: servers stop, temp files go


def _progress(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.list:
        for scenario in SCENARIOS.values():
            print(f"{scenario.name:22} {scenario.summary}")
        return 0
    names = _selected(args.only)
    duration = args.duration or (2.0 if args.quick else 3.0)
    rounds = args.rounds or (1 if args.quick else 3)
    warmup = args.warmup if args.warmup is not None else 1.0
    connections = [int(value) for value in args.connections.split(",") if value.strip()]
    missing = [tool for tool in ("nginx", "wrk") if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists()]
    if missing:
        print(f"needs {' and '.join(missing)}: run scripts/bench (it installs Debian's packages)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)

    started = dt.datetime.now(dt.UTC)
    load_before = load_average()
    procs = ProcessSet()
    env: BenchEnvironment | None = None
    extras: dict[str, object] = {}
    try:
        env = BenchEnvironment.create(procs)
        outcomes = run_scenarios(
            env,
            [SCENARIOS[name] for name in names],
            connections=connections,
            duration_s=duration,
            warmup_s=warmup,
            rounds=rounds,
            progress=_progress,
        )
        if not args.only:
            router = run_router_bench(REPOSITORY, _progress)
            if router is not None:
                extras["router_bench"] = router
    except KeyboardInterrupt:
        _progress("interrupted: stopping everything this run started")
        return 130
    finally:
        if env is not None:
            env.close(keep_files=args.keep)
            if args.keep:
                _progress(f"configs and logs kept in {env.root}")
        procs.stop_all()

    report = RunReport(
        outcomes,
        describe_machine(REPOSITORY),
        started=started,
        duration_s=duration,
        warmup_s=warmup,
        rounds=rounds,
        load_before=load_before,
        load_after=load_average(),
        extras=extras,
    )
    if args.json:
        print(render_json(report))
    else:
        print(render_markdown(report))
    if not args.no_record:
        append_results(RESULTS, report)
        _progress(f"appended to {RESULTS.relative_to(REPOSITORY)}")
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
