from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bench.harness.machine import MachineInfo
from bench.harness.report import RunReport, append_results, render_json, render_markdown
from bench.harness.results import Outcome, Point

MACHINE = MachineInfo("Test CPU", 2, 4.0, "6.1", "3.11.7", {"nginx": "1.22.1", "wrk": "4.1"}, "abc1234")


def _report(load: float = 0.2) -> RunReport:
    outcomes = [
        Outcome(
            "nginx-proxy", "nginx", "ok", points=[Point("nginx-proxy", 64, 500_000, 50_000.0, 900, 2000, 16.0, 8 << 20)]
        ),
        Outcome(
            "sekisho-1-route",
            "sekisho",
            "ok",
            note="2 workers",
            points=[Point("sekisho-1-route", 64, 200_000, 20_000.0, 2500, 9000, 40.0, 55 << 20)],
        ),
        Outcome("sekisho-oidc-session", "oidc", "not available", reason="the openid-connect plugin is missing"),
    ]
    return RunReport(
        outcomes,
        MACHINE,
        started=dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC),
        duration_s=3,
        warmup_s=1,
        rounds=3,
        load_before=(load, load, load),
        load_after=(1.0, 1.0, 1.0),
        extras={"router_bench": {"routes_1": {"routes": 1, "matches_per_sec": 123456}}},
    )


def test_markdown_has_ratios_targets_unavailable_rows_and_router_table() -> None:
    text = render_markdown(_report())
    assert "| sekisho-1-route | 64 | 20,000 | 2.50 | 9.00 | 40 | 55 | 0.40 | 0.40 | >= 0.6 x nginx-proxy" in text
    assert "(0.40 x nginx-proxy) | **no** |" in text
    assert "| sekisho-oidc-session | | not available: the openid-connect plugin is missing |" in text
    assert "| routes_1 | 1 | 123,456 |" in text
    assert "Test CPU, 2 cores" in text and "sekisho abc1234" in text
    assert "warning" not in text
    assert "**warning**: the machine was busy" in render_markdown(_report(load=3.0))


def test_json_carries_points_ratios_and_verdicts() -> None:
    document = json.loads(render_json(_report()))
    sekisho = next(s for s in document["scenarios"] if s["scenario"] == "sekisho-1-route")
    assert sekisho["points"][0]["ratio_to_nginx_proxy"] == 0.4
    assert document["targets"] == [
        {"scenario": "sekisho-1-route", "connections": 64, "target": ">= 0.6 x nginx-proxy", "met": False,
         "detail": "0.40 x nginx-proxy"}
    ]  # fmt: skip


def test_results_file_gets_a_header_once_then_sections_appended(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    append_results(results, _report())
    append_results(results, _report())
    text = results.read_text()
    assert text.startswith("# Benchmark results")
    assert text.count("# Benchmark results") == 1
    assert text.count("## 2026-11-26 15:00 UTC") == 2
