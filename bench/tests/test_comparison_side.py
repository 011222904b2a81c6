"""The comparison servers really start, enforce what they claim, and get measured (short real runs)."""

from __future__ import annotations

import json

import pytest

from bench.harness.__main__ import main

from .conftest import require


@pytest.mark.slow
def test_nginx_and_apache_bearer_scenarios_run_and_report_json(capsys: pytest.CaptureFixture[str]) -> None:
    require("nginx", "apache2", "wrk")
    argv = ["--only", "nginx-proxy,apache-oidc-bearer", "--quick", "--json", "--no-record"]
    argv += ["--duration", "1", "--warmup", "0", "--connections", "8"]
    status = main(argv)
    document = json.loads(capsys.readouterr().out)
    outcomes = {scenario["scenario"]: scenario for scenario in document["scenarios"]}
    assert status == 0, outcomes
    assert outcomes["nginx-proxy"]["status"] == "ok"
    assert outcomes["apache-oidc-bearer"]["status"] == "ok"
    (proxy_point,) = outcomes["nginx-proxy"]["points"]
    (bearer_point,) = outcomes["apache-oidc-bearer"]["points"]
    assert proxy_point["requests"] > 0 and not proxy_point["problems"] and proxy_point["ratio_to_nginx_proxy"] == 1.0
    assert bearer_point["requests"] > 0 and not bearer_point["problems"]
    assert bearer_point["cpu_us_per_request"] > 0
