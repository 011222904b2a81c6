"""Start and stop the processes a benchmark needs, by PID, and always clean them up."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ManagedProcess", "ProcessSet", "StartupError", "free_port", "wait_for_port"]


class StartupError(RuntimeError):
    """A server did not come up; the message says which and shows the tail of its log."""


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (bound with port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, *, timeout: float, alive: ManagedProcess | None = None) -> None:
    """Wait until something accepts on 127.0.0.1:port; fail early when the process we wait for has exited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            pass
        if alive is not None and alive.exited():
            raise StartupError(f"{alive.name} exited with status {alive.returncode()}{alive.log_tail()}")
        if time.monotonic() > deadline:
            where = alive.name if alive is not None else "server"
            tail = alive.log_tail() if alive is not None else ""
            raise StartupError(f"{where} did not listen on 127.0.0.1:{port} within {timeout:.0f} s{tail}")
        time.sleep(0.05)


@dataclass
class ManagedProcess:
    """One process we started in its own session, so that it and its children can be stopped together."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def returncode(self) -> int | None:
        return self.popen.poll()

    def log_tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n  " + "\n  ".join(text) if text else ""

    def stop(self, *, grace: float = 5.0) -> None:
        """SIGTERM to the process's own group, then SIGKILL to that group if it lingers."""
        if self.exited():
            self._signal_group(signal.SIGKILL)  # children of a dead leader may remain
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.popen.wait(timeout=grace)
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: signal.Signals) -> None:
        # The group id is the PID of the process we started (start_new_session), so this reaches only ours.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)


@dataclass
class ProcessSet:
    """Everything started during a run; `stop_all` runs on success, errors and Ctrl-C alike."""

    processes: list[ManagedProcess] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> ManagedProcess:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        process = ManagedProcess(name=name, popen=popen, log_path=log_path)
        self.processes.append(process)
        return process

    def stop(self, process: ManagedProcess) -> None:
        process.stop()
        if process in self.processes:
            self.processes.remove(process)

    def stop_all(self) -> None:
        while self.processes:
            self.processes.pop().stop()
