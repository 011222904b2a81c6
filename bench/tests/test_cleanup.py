"""Interrupting a run stops every server it started (they run in their own sessions, so nothing else would)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.harness.measure import children_of

from .conftest import require

REPOSITORY = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _commands(pids: list[int]) -> list[str]:
    names = []
    for pid in pids:
        try:
            names.append(Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            continue
    return names


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_leaves_no_server_behind(sig: signal.Signals, tmp_path: Path) -> None:
    require("nginx", "apache2", "wrk")
    argv = [sys.executable, "-m", "bench.harness", "--only", "nginx-proxy,apache-proxy", "--no-record"]
    with (tmp_path / "harness.log").open("w") as log:
        harness = subprocess.Popen(
            [*argv, "--duration", "30", "--warmup", "0"], cwd=REPOSITORY, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        # Wait until both nginx instances (master + worker each) and Apache (parent + children) run.
        deadline = time.monotonic() + 30
        servers: list[int] = []
        while time.monotonic() < deadline:
            servers = [pid for pid in children_of(harness.pid) if _alive(pid)]
            commands = _commands(servers)
            if commands.count("nginx") >= 4 and commands.count("apache2") >= 2:
                break
            time.sleep(0.1)
        else:
            pytest.fail("servers did not start: " + (tmp_path / "harness.log").read_text()[-2000:])
        time.sleep(0.5)
        servers = [pid for pid in children_of(harness.pid) if _alive(pid)]
        os.kill(harness.pid, sig)
        assert harness.wait(timeout=30) != 0
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in servers if _alive(pid)] == []
    assert "interrupted" in (tmp_path / "harness.log").read_text()
