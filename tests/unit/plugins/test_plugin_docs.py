"""The plugin pages carry the configuration tables generated from the current schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_plugin_docs_are_up_to_date_and_every_field_is_described() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-plugin-docs"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
