"""Private nginx and Apache httpd instances: config rendered into a temp prefix, started in the foreground."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .procs import ManagedProcess, ProcessSet, StartupError, free_port, wait_for_port
from .templates import render, render_to

__all__ = ["APACHE_MODULES", "RunningServer", "apache_unavailable", "prepare_prefix", "start_apache", "start_nginx"]

_STARTUP_TIMEOUT_S = 20.0
APACHE_MODULES = Path("/usr/lib/apache2/modules")  # Debian's location, which the templates name


def apache_unavailable(*modules: str) -> str | None:
    """Why Apache (with these extra module files) cannot run here, or None."""
    if shutil.which("apache2") is None and not Path("/usr/sbin/apache2").exists():
        return "apache2 is not installed (scripts/bench installs Debian's apache2)"
    for module in ("mod_mpm_event.so", "mod_proxy_http.so", *modules):
        if not (APACHE_MODULES / module).exists():
            return f"{APACHE_MODULES / module} is missing"
    return None


@dataclass(frozen=True)
class RunningServer:
    name: str
    process: ManagedProcess
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def prepare_prefix(root: Path, name: str) -> Path:
    """A fresh directory for one server; world-traversable because the servers' workers drop root."""
    prefix = root / name
    prefix.mkdir(parents=True, exist_ok=False)
    for path in (root, prefix):
        path.chmod(0o755)
    return prefix


def start_nginx(
    procs: ProcessSet, root: Path, name: str, template: str, values: dict[str, object], *, port: int | None = None
) -> RunningServer:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = prepare_prefix(root, name)
    (prefix / "tmp").mkdir()
    port = port or free_port()
    config = render_to(template, prefix / "nginx.conf", {**values, "prefix": prefix, "port": port})
    argv = [binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config), "-g", "daemon off;"]
    process = procs.start(name, argv, log_path=prefix / "stdout.log")
    _wait(process, port)
    return RunningServer(name=name, process=process, port=port)


def start_apache(
    procs: ProcessSet, root: Path, name: str, site_template: str, site_values: dict[str, object]
) -> RunningServer:
    binary = shutil.which("apache2") or "/usr/sbin/apache2"
    prefix = prepare_prefix(root, name)
    (prefix / "run").mkdir(mode=0o755)
    port = free_port()
    site = render(
        site_template, {**site_values, "port": port, "modules": APACHE_MODULES}, optional=frozenset({"port", "modules"})
    )
    # Running as root, httpd must switch to an unprivileged user for its children.
    user_group = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
    values: dict[str, object] = {
        "prefix": prefix,
        "port": port,
        "site": site,
        "user_group": user_group,
        "modules": APACHE_MODULES,
    }
    config = render_to("apache-base.conf", prefix / "httpd.conf", values)
    argv = [binary, "-d", str(prefix), "-f", str(config), "-DFOREGROUND"]
    process = procs.start(name, argv, log_path=prefix / "error.log")
    _wait(process, port)
    return RunningServer(name=name, process=process, port=port)


def _wait(process: ManagedProcess, port: int) -> None:
    try:
        wait_for_port(port, timeout=_STARTUP_TIMEOUT_S, alive=process)
    except StartupError:
        process.stop()
        raise
