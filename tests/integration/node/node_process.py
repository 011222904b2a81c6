"""Start a real `python -m sekisho start` node as a subprocess on free loopback ports."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STARTUP_DEADLINE = 60.0


def proxy_server_available() -> bool:
    return importlib.util.find_spec("sekisho.proxy.server") is not None


def free_port() -> int:
    """A port the kernel just handed out for 127.0.0.1 (bound to port 0, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sekisho(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sekisho", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def node_env(prefix: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KONG_", "SEKISHO_"))}
    env.update({f"SEKISHO_{k.upper()}": v for k, v in settings.items()})
    env["SEKISHO_PREFIX"] = str(prefix)
    return env


@dataclass
class Node:
    prefix: Path
    proxy_port: int
    admin_port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def admin(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def output(self) -> str:
        """What the node printed, plus its error log file when it writes one."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        error_log = self.prefix / "logs" / "error.log"
        if error_log.exists():
            text += error_log.read_text(errors="replace")
        return text

    def stop(self, sig: int = signal.SIGTERM, wait: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return int(self.process.returncode)


def _announced_port(output: str, kind: str, scheme: str = "http") -> int | None:
    found = re.search(rf"{kind} listening on {scheme}://127\.0\.0\.1:(\d+) ", output)
    return int(found.group(1)) if found else None


async def wait_until_up(node: Node) -> None:
    """Until the node logged that it started (ports chosen by the OS are read there) and `/status` answers."""
    deadline = time.monotonic() + STARTUP_DEADLINE
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                raise AssertionError(f"node exited with {node.process.returncode}:\n{node.output()}")
            output = node.output()
            if "started (pid" not in output:
                await asyncio.sleep(0.1)
                continue
            node.admin_port = _announced_port(output, "admin") or node.admin_port
            node.proxy_port = _announced_port(output, "proxy") or node.proxy_port
            try:
                if (await client.get(node.admin + "/status")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"node did not come up:\n{node.output()}")


def _spawn(args: list[str], env: dict[str, str], log_path: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """The node runs for the whole test, so a plain Popen (not an asyncio subprocess) is what we want."""
    cwd.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sekisho", *args], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )


async def start_node(tmp_path: Path, *, workers: int = 1, cli_args: tuple[str, ...] = (), **settings: str) -> Node:
    prefix = tmp_path / "prefix"
    proxy_port, admin_port = free_port(), free_port()
    config = {
        "proxy_listen": f"127.0.0.1:{proxy_port}",
        "admin_listen": f"127.0.0.1:{admin_port}",
        "nginx_worker_processes": str(workers),
        "proxy_error_log": "/dev/stderr",
        "admin_error_log": "/dev/stderr",
        "log_level": "info",
    }
    config.update(settings)
    log_path = tmp_path / "node.out"
    process = _spawn(["start", *cli_args], node_env(prefix, **config), log_path, tmp_path)
    node = Node(prefix, proxy_port, admin_port, process, log_path)
    try:
        await wait_until_up(node)
    except BaseException:
        node.stop(signal.SIGKILL)
        raise
    return node
