"""A description of the machine and software a run measured, for the RESULTS.md heading."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["MachineInfo", "describe_machine", "load_average"]


@dataclass(frozen=True)
class MachineInfo:
    cpu_model: str
    cores: int
    memory_gb: float
    kernel: str
    python: str
    versions: dict[str, str]
    sekisho_commit: str
    hot_path: str = "pure Python"  # or "compiled (mypyc)": scripts/compile.py

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return one, five, fifteen


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _output(argv: list[str]) -> str:
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout + completed.stderr


def _first_match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    return found.group(1) if found else "not installed"


def _package_version(package: str) -> str:
    return _output(["dpkg-query", "-W", "-f=${Version}", package]).strip() or "not installed"


def _sekisho_commit(repository: Path) -> str:
    commit = _output(["git", "-C", str(repository), "rev-parse", "--short", "HEAD"]).strip()
    return commit or "unknown"


def describe_machine(repository: Path) -> MachineInfo:
    return MachineInfo(
        cpu_model=_cpu_model(),
        cores=os.cpu_count() or 0,
        memory_gb=round(_memory_gb(), 1),
        kernel=platform.release(),
        python=platform.python_version(),
        versions={
            "nginx": _first_match(r"nginx/(\S+)", _output(["nginx", "-v"])),
            "apache2": _first_match(r"Apache/(\S+)", _output(["apache2", "-v"])),
            "mod_auth_openidc": _package_version("libapache2-mod-auth-openidc"),
            "wrk": _first_match(r"wrk (\S+)", _output(["wrk", "-v"])),
        },
        sekisho_commit=_sekisho_commit(repository),
        hot_path=_hot_path(),
    )


def _hot_path() -> str:
    """Whether the proxy modules the nodes import are scripts/compile.py's C extensions."""
    import sekisho.proxy.server

    compiled = not str(sekisho.proxy.server.__file__).endswith(".py")
    return "compiled (mypyc)" if compiled else "pure Python"
