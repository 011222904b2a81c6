"""The hot path the suite exercises is the one users run: scripts/compile.py's mypyc build of every module it
lists (a build that silently failed would leave the pure-Python modules in use, correct but half as fast)."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compile.py"


def _compile_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sekisho_compile_script", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(os.environ.get("SEKISHO_PURE_PYTHON") == "1", reason="SEKISHO_PURE_PYTHON=1 runs the sources")
def test_every_listed_module_is_imported_compiled_and_current() -> None:
    script = _compile_script()
    assert script.current(), "the compiled modules do not match their sources: run scripts/compile.py"
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for path in script.MODULES:
        name = path.removesuffix(".py").replace("/", ".")
        loaded = importlib.import_module(name)
        assert str(loaded.__file__).endswith(suffix), f"{name} runs from {loaded.__file__}"


def test_the_list_names_real_modules_of_the_hot_path() -> None:
    script = _compile_script()
    src = _SCRIPT.parent.parent / "src"
    for path in script.MODULES:
        assert (src / path).is_file(), path
    assert {"sekisho/proxy/server.py", "sekisho/proxy/pipeline.py"} <= set(script.MODULES)
