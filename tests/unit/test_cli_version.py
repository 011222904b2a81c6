from __future__ import annotations

import subprocess
import sys

import sekisho


def test_version_command_prints_the_package_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sekisho", "version", "--all"], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [f"sekisho {sekisho.__version__}", f"kong-compatible {sekisho.KONG_COMPAT_VERSION}"]
