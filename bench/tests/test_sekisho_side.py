"""The harness drives a real sekisho node through its CLI (skipped while `sekisho start` does not exist)."""

from __future__ import annotations

import json

import pytest

from bench.harness.__main__ import main
from bench.harness.sekisho_node import missing_plugin, sekisho_unavailable

from .conftest import require


@pytest.mark.slow
def test_key_auth_scenario_runs_on_a_two_worker_node(capsys: pytest.CaptureFixture[str]) -> None:
    require("nginx", "wrk")
    reason = sekisho_unavailable() or missing_plugin("key-auth")
    if reason:
        pytest.skip(reason)
    argv = ["--only", "sekisho-key-auth", "--quick", "--json", "--no-record"]
    status = main([*argv, "--duration", "1", "--warmup", "0", "--connections", "4"])
    document = json.loads(capsys.readouterr().out)
    (outcome,) = document["scenarios"]
    assert status == 0 and outcome["status"] == "ok", outcome
    (point,) = outcome["points"]
    assert point["requests"] > 0 and not point["problems"]
    assert point["cpu_us_per_request"] > 0 and point["worker_rss_bytes"] > 10 * 1024 * 1024
