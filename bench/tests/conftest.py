"""Shared fixtures for the harness's own tests (run: `.venv/bin/python -m pytest bench/tests -q`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from bench.harness.procs import ProcessSet


def require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/apt-ensure installs them)")


@pytest.fixture
def procs() -> Iterator[ProcessSet]:
    started = ProcessSet()
    try:
        yield started
    finally:
        started.stop_all()
