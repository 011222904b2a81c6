"""A sekisho node started through its own CLI (`sekisho start`), DB-less, for one scenario."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from .procs import ProcessSet, StartupError, free_port, wait_for_port
from .servers import RunningServer, prepare_prefix
from .templates import render_to

__all__ = ["missing_plugin", "sekisho_unavailable", "start_sekisho"]

WORKER_PROCESSES = 2
_STARTUP_TIMEOUT_S = 90.0  # 10,000 routes are parsed, validated and compiled before the first request


@functools.cache
def sekisho_unavailable() -> str | None:
    """Why no node can be started from this checkout, or None when `sekisho start` exists."""
    try:
        probe = subprocess.run(
            [sys.executable, "-m", "sekisho", "start", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`sekisho start --help` failed: {exc}"
    if probe.returncode != 0:
        return "`sekisho start` is not implemented yet in this checkout"
    return None


def missing_plugin(name: str) -> str | None:
    """Why plugin `name` (Kong's name) cannot be used yet, or None when its handler module exists."""
    module = "sekisho.plugins." + name.replace("-", "_") + ".handler"
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    return None if found else f"the {name} plugin is not implemented yet ({module} is missing)"


def start_sekisho(
    procs: ProcessSet,
    root: Path,
    name: str,
    declarative: dict[str, Any],
    *,
    probe_path: str = "/",
    probe_headers: dict[str, str] | None = None,
    probe_statuses: range | frozenset[int] = range(200, 300),
) -> RunningServer:
    """Start a node on free loopback ports and wait until `probe_path` answers with one of `probe_statuses`."""
    prefix = prepare_prefix(root, name)
    config_file = prefix / "kong.json"
    config_file.write_text(json.dumps(declarative))
    port, admin_port = free_port(), free_port()
    conf = render_to(
        "sekisho.conf",
        prefix / "sekisho.conf",
        {
            "prefix": prefix / "node",
            "declarative_config": config_file,
            "port": port,
            "admin_port": admin_port,
            "workers": WORKER_PROCESSES,
        },
    )
    argv = [sys.executable, "-m", "sekisho", "start", "-c", str(conf), "-p", str(prefix / "node")]
    # KONG_*/SEKISHO_* variables from the caller's shell would override the bench's own settings.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("KONG_", "SEKISHO_"))}
    process = procs.start(name, argv, log_path=prefix / "stdout.log", cwd=prefix, env=env)
    server = RunningServer(name=name, process=process, port=port)
    try:
        wait_for_port(port, timeout=_STARTUP_TIMEOUT_S, alive=process)
        _wait_until_serving(server, probe_path, probe_headers or {}, probe_statuses)
    except BaseException:
        procs.stop(process)
        raise
    return server


def _wait_until_serving(
    server: RunningServer, path: str, headers: dict[str, str], statuses: range | frozenset[int]
) -> None:
    # With worker processes the listener may accept before every worker has loaded its snapshot.
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    last = "no answer"
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if server.process.exited():
                raise StartupError(f"{server.name} exited with status {server.process.returncode()}")
            try:
                response = client.get(server.base_url + path, headers=headers)
                if response.status_code in statuses:
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
    raise StartupError(
        f"{server.name} did not serve {path} as expected within {_STARTUP_TIMEOUT_S:.0f} s (last: {last})"
    )
