from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.helpers.browser import chromium


@dataclass(frozen=True)
class RunningDemo:
    """A `sekisho demo --free-ports` subprocess and what it printed up to "Press Ctrl-C to stop."."""

    process: subprocess.Popen[str]
    output: str
    cwd: Path

    def url(self, label: str) -> str:
        found = re.search(rf"^\s*{re.escape(label)}\s+(http://\S+)", self.output, re.MULTILINE)
        assert found, self.output
        return found.group(1)

    def command(self, marker: str) -> str:
        """The printed command line containing `marker`, as a person would copy it."""
        lines = [line.strip() for line in self.output.splitlines() if marker in line]
        assert len(lines) == 1, self.output
        return lines[0].split("   #", 1)[0].strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    workdir = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen(
        [sys.executable, "-m", "sekisho", "demo", "--dir", str(workdir / "prefix"), "--free-ports"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=workdir,
    )
    assert process.stdout is not None
    output = ""
    try:
        while "Press Ctrl-C to stop." not in output:
            line = process.stdout.readline()
            if not line:
                break
            output += line
        assert "sekisho demo is running" in output and "skipped" not in output, output
        yield RunningDemo(process, output, workdir)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output + rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched
