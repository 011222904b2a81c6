"""`bench/router_bench.py` must stay runnable as a plain script for the `make bench` harness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "router_bench.py"


def test_bench_script_prints_json_results() -> None:
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--seconds", "0.01", "--sizes", "1,40"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(completed.stdout)
    for size in (1, 40):
        entry = results[f"routes_{size}"]
        assert entry["routes"] == size
        assert entry["unmatched_requests"] == 0
        assert entry["uncached_matches_per_sec"] > 0
        assert entry["cached_matches_per_sec"] > 0
