from __future__ import annotations

import pytest

from bench.harness.__main__ import _selected, main
from bench.harness.scenarios import SCENARIOS


def test_only_takes_names_and_groups_in_table_order() -> None:
    assert _selected(["sekisho-oidc", "nginx"]) == [
        "nginx-static",
        "nginx-proxy",
        "sekisho-oidc-bearer",
        "sekisho-oidc-session",
    ]
    assert _selected(["nginx-proxy,apache-proxy"]) == ["nginx-proxy", "apache-proxy"]
    assert _selected(None) == list(SCENARIOS)
    with pytest.raises(SystemExit, match="unknown scenario 'sek'"):
        _selected(["sek"])


def test_list_prints_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(SCENARIOS)
