"""Compile the proxy's hot path with mypyc (the compiler that ships with mypy) into C extension modules.

The modules stay plain, typed Python; the compiled ones are built next to their sources in src/ (git ignores
them) and Python imports them instead of the .py files. About twice the requests per CPU second on the
proxy path (bench/RESULTS.md). A stamp of the sources, Python and mypy versions decides whether a build is
needed, so running this again is cheap; a failed build leaves the pure-Python modules in use (same
behaviour, slower) and says so. `--check` only says whether the build is current (exit 1 if not),
`--remove` deletes the compiled modules (back to pure Python), `SEKISHO_PURE_PYTHON=1` skips compiling.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
STAMP = SRC / ".sekisho-compiled"

# What a proxied request runs through, from the client's bytes to the upstream's answer and back.
MODULES = (
    "sekisho/proxy/errors.py",
    "sekisho/proxy/exchange.py",
    "sekisho/proxy/forwarded.py",
    "sekisho/proxy/headers.py",
    "sekisho/proxy/kong.py",
    "sekisho/proxy/pipeline.py",
    "sekisho/proxy/route_target.py",
    "sekisho/proxy/server.py",
    "sekisho/proxy/upstream.py",
    "sekisho/router/lru.py",
    "sekisho/router/match.py",
    "sekisho/router/traditional.py",
    "sekisho/runtime/plan.py",
    "sekisho/plugins/openid_connect/replay.py",
)
_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def _mypy_version() -> str:
    import mypy.version

    return str(mypy.version.__version__)


def stamp() -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.version}\n{_mypy_version()}\n".encode())
    for module in MODULES:
        digest.update(module.encode() + b"\0" + (SRC / module).read_bytes() + b"\0")
    return digest.hexdigest()


def _built_files() -> list[Path]:
    """Every compiled module under src/ (sekisho has no other extension modules), also of modules no longer
    listed: one left behind would shadow its source."""
    found = sorted((SRC / "sekisho").rglob(f"*{_SUFFIX}"))
    found += sorted(SRC.glob(f"*__mypyc{_SUFFIX}"))  # the shared runtime of the group
    return found


def current() -> bool:
    expected = {SRC / module.replace(".py", _SUFFIX) for module in MODULES}
    compiled = {path for path in _built_files() if not path.name.endswith(f"__mypyc{_SUFFIX}")}
    return STAMP.exists() and STAMP.read_text().strip() == stamp() and compiled == expected


def remove() -> None:
    for path in _built_files():
        path.unlink()
    STAMP.unlink(missing_ok=True)


def build() -> None:
    remove()  # never leave a stale compiled module shadowing a newer source
    started = time.monotonic()
    print(f"==> compiling the hot path with mypyc ({len(MODULES)} modules, about a minute)", flush=True)
    with tempfile.TemporaryDirectory(prefix="sekisho-mypyc-") as work:
        setup = Path(work) / "setup.py"
        setup.write_text(
            "import sys\n"
            "from setuptools import setup\n"
            "from mypyc.build import mypycify\n"
            f"setup(name='sekisho-hot-path', ext_modules=mypycify({list(MODULES)!r}, opt_level='3'))\n"
        )
        command = [sys.executable, str(setup), "build_ext", "--inplace", "--build-temp", str(Path(work) / "tmp")]
        result = subprocess.run(command, cwd=SRC, capture_output=True, text=True, check=False)
        shutil.rmtree(SRC / "build", ignore_errors=True)  # mypycify's generated C
        if result.returncode != 0:
            remove()
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
            print("==> mypyc failed (above): sekisho runs its pure-Python modules, correct but slower", flush=True)
            return
    STAMP.write_text(stamp() + "\n")
    print(f"==> compiled in {time.monotonic() - started:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the compiled modules are not current")
    parser.add_argument("--remove", action="store_true", help="delete the compiled modules (pure Python)")
    args = parser.parse_args(argv)
    if args.remove or os.environ.get("SEKISHO_PURE_PYTHON") == "1":
        remove()
        return 0
    if args.check:
        return 0 if current() else 1
    if not current():
        build()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
