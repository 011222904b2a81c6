"""Suite-wide set-up: the suite runs the proxy as users do, compiled by scripts/compile.py (mypyc), and never
against compiled modules older than their sources (a stale one would shadow an edited .py);
SEKISHO_PURE_PYTHON=1 runs it on the plain sources instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

_COMPILE = Path(__file__).resolve().parent.parent / "scripts" / "compile.py"


def pytest_configure(config: pytest.Config) -> None:
    if _COMPILE.exists():
        subprocess.run([sys.executable, str(_COMPILE)], check=True)
