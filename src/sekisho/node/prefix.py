"""The prefix directory: logs, pid file, default certificate, node id and the effective configuration."""

from __future__ import annotations

import errno
import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sekisho.config import NodeConfig, write_env_file
from sekisho.errors import ConfigError
from sekisho.utils.tls import default_certificate_paths, ensure_default_certificate

__all__ = [
    "PreparedPrefix",
    "cluster_secret_for",
    "node_id_for",
    "node_running",
    "prepare_prefix",
    "process_alive",
    "read_pid",
    "remove_pid",
    "write_pid",
]


@dataclass(frozen=True, slots=True)
class PreparedPrefix:
    node_id: str
    default_cert: Path
    default_key: Path
    cluster_secret: bytes = field(default=b"", repr=False)


def node_id_for(config: NodeConfig) -> str:
    """`node_id` from the configuration, else a UUID kept in `<prefix>/node.id` across restarts."""
    if config.node_id:
        try:
            return str(uuid.UUID(config.node_id))
        except ValueError:
            raise ConfigError("node_id", f"'{config.node_id}' is not a valid UUID") from None
    path = config.prefix / "node.id"
    try:
        return str(uuid.UUID(path.read_text(encoding="utf-8").strip()))
    except (OSError, ValueError):
        node_id = str(uuid.uuid4())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(node_id + "\n", encoding="utf-8")
        return node_id


def cluster_secret_for(config: NodeConfig) -> bytes:
    """The secret every worker and node derives sealing keys from (`kong.node.derive_secret`, sessions):
    `cluster_secret` when set (nodes sharing a database must set the same), else 32 random bytes kept in
    `<prefix>/cluster.secret` (mode 0600), created on first start."""
    if config.cluster_secret:
        return hashlib.sha256(b"sekisho-cluster-secret:" + config.cluster_secret.encode()).digest()
    path = config.prefix / "cluster.secret"
    try:
        secret = path.read_bytes()
        if len(secret) == 32:
            return secret
    except OSError:
        pass
    secret = os.urandom(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    os.replace(tmp, path)
    return secret


def prepare_prefix(config: NodeConfig) -> PreparedPrefix:
    """Create the prefix tree (`sekisho prepare`); idempotent."""
    try:
        for sub in ("logs", "pids", "ssl"):
            (config.prefix / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(config.ssl_dir, 0o700)
    except OSError as exc:
        raise ConfigError("prefix", f"cannot create {config.prefix}: {exc.strerror}") from None
    ensure_default_certificate(config.ssl_dir)
    write_env_file(config)
    return prepared_prefix_of(config)


def prepared_prefix_of(config: NodeConfig) -> PreparedPrefix:
    """What an already prepared prefix holds: node id, default certificate paths, cluster secret."""
    cert, key = default_certificate_paths(config.ssl_dir)
    return PreparedPrefix(
        node_id=node_id_for(config), default_cert=cert, default_key=key, cluster_secret=cluster_secret_for(config)
    )


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def node_running(pid_file: Path) -> int | None:
    """The pid of the live node owning this pid file, or None. A recycled pid now used by another program
    does not count (checked through /proc where it exists), so `stop` never signals a stranger."""
    pid = read_pid(pid_file)
    if pid is None or not process_alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid  # no /proc: trust the pid file
    return pid if b"sekisho" in cmdline else None


def write_pid(pid_file: Path) -> None:
    """Write our pid; refuse when another live node already owns this prefix."""
    existing = node_running(pid_file)
    if existing is not None and existing != os.getpid():
        raise ConfigError("prefix", f"a node is already running in {pid_file.parent.parent} (pid {existing})")
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(f"{os.getpid()}\n", encoding="utf-8")
    os.replace(tmp, pid_file)


def remove_pid(pid_file: Path) -> None:
    if read_pid(pid_file) == os.getpid():
        try:
            pid_file.unlink()
        except OSError:
            pass
