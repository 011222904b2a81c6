from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from bench.harness.measure import children_of, sample_tree
from bench.harness.procs import ProcessSet, StartupError, free_port, wait_for_port
from bench.harness.templates import TemplateError, render

# A parent that starts a busy child and sleeps; the child burns CPU until killed.
_TREE = "import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'while True: pass'])\ntime.sleep(60)\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


def test_stop_ends_the_whole_tree_and_sampling_sees_the_children(procs: ProcessSet, tmp_path: Path) -> None:
    parent = procs.start("tree", [sys.executable, "-c", _TREE], log_path=tmp_path / "tree.log")
    deadline = time.monotonic() + 10
    while not children_of(parent.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    (child,) = children_of(parent.pid)
    first = sample_tree(parent.pid)
    time.sleep(0.3)
    second = sample_tree(parent.pid)
    assert second.cpu_seconds > first.cpu_seconds
    assert len(second.child_rss_bytes) == 1 and second.max_child_rss_bytes > 0

    procs.stop(parent)
    assert not _alive(parent.pid)
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_waiting_for_a_port_fails_fast_when_the_process_exits(procs: ProcessSet, tmp_path: Path) -> None:
    quitter = procs.start("quitter", [sys.executable, "-c", "print('bad config'); raise SystemExit(3)"],
                          log_path=tmp_path / "q.log")  # fmt: skip
    with pytest.raises(StartupError, match="exited with status 3") as caught:
        wait_for_port(free_port(), timeout=30, alive=quitter)
    assert "bad config" in str(caught.value)


def test_templates_refuse_missing_and_unused_values() -> None:
    with pytest.raises(TemplateError, match="missing"):
        render("apache-proxy.site", {})
    with pytest.raises(TemplateError, match="unused"):
        render("apache-proxy.site", {"upstream_port": 1, "surprise": 2})
    assert "127.0.0.1:8080/" in render(
        "apache-proxy.site", {"upstream_port": 8080, "port": 1}, optional=frozenset({"port"})
    )
