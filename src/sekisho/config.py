"""kong.conf-compatible node configuration.

Sources, lowest to highest precedence: built-in defaults < the conf file < `KONG_<KEY>` environment
variables < `SEKISHO_<KEY>` environment variables < command-line flags (`-p`). The conf file is `-c FILE`,
else the first that exists of `./sekisho.conf`, `/etc/sekisho/sekisho.conf`, `/etc/kong/kong.conf`,
`/etc/kong.conf`. Every value is validated; a bad one raises `ConfigError(key, reason)`. Unknown keys and
keys kept only for Kong compatibility become `warnings`/`notes` the node logs once at start.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from sekisho.errors import ConfigError

__all__ = [
    "DEFAULT_CONF_PATHS",
    "ENV_PREFIXES",
    "LOG_LEVELS",
    "ListenSpec",
    "LogTarget",
    "NodeConfig",
    "config_from_env_file",
    "default_conf_text",
    "find_conf_file",
    "is_secret_key",
    "load_config",
    "parse_bool",
    "parse_conf_text",
    "parse_listen",
    "parse_size",
    "write_env_file",
]

DEFAULT_CONF_PATHS: Final = ("sekisho.conf", "/etc/sekisho/sekisho.conf", "/etc/kong/kong.conf", "/etc/kong.conf")
# Later prefixes win: SEKISHO_ overrides its KONG_ alias.
ENV_PREFIXES: Final = ("KONG_", "SEKISHO_")
LOG_LEVELS: Final = ("debug", "info", "notice", "warn", "error", "crit", "alert", "emerg")
REDACTED: Final = "******"

_LISTEN_FORM = (
    "must be of form: [off] | <ip>:<port> [ssl] [http2] [proxy_protocol] [deferred] [bind] [reuseport] "
    "[backlog=%d+] [ipv6only=(on|off)] [so_keepalive=(on|off|%w*:%w*:%d*)], [... next entry ...]"
)
_LATENCY_TOKENS = ("X-Kong-Proxy-Latency", "X-Kong-Response-Latency", "X-Kong-Upstream-Latency", "X-Kong-Admin-Latency")
_HEADER_NAMES = {
    name.lower(): name for name in ("Server", "Via", *_LATENCY_TOKENS, "X-Kong-Upstream-Status", "X-Kong-Request-Id")
}
_ERROR_TYPES = ("text/plain", "text/html", "application/json", "application/xml")


# -- value types ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ListenSpec:
    """One entry of a `*_listen` key."""

    host: str
    port: int
    ssl: bool = False
    http2: bool = False
    proxy_protocol: bool = False
    reuseport: bool = False
    deferred: bool = False
    bind: bool = False
    backlog: int | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.ssl else "http"

    def url(self, port: int | None = None) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "*") else self.host
        host = "[::1]" if host in ("[::]", "::") else host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port if port is None else port}"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        flags = [
            name for name in ("ssl", "http2", "proxy_protocol", "deferred", "bind", "reuseport") if getattr(self, name)
        ]
        if self.backlog is not None:
            flags.append(f"backlog={self.backlog}")
        return " ".join([f"{host}:{self.port}", *flags])


@dataclass(frozen=True, slots=True)
class LogTarget:
    """Where a log goes: `path` (absolute, `/dev/stdout`, `/dev/stderr`) or None for `off`; `fmt` for access logs."""

    path: str | None
    fmt: str = "combined"

    @property
    def enabled(self) -> bool:
        return self.path is not None


# -- primitive parsers (each raises ValueError with the reason; the loader adds the key) -------------------
def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("on", "true", "yes", "1"):
        return True
    if lowered in ("off", "false", "no", "0"):
        return False
    raise ValueError(f"invalid boolean '{value}' (expected on, off, true or false)")


_SIZE = re.compile(r"^(\d+)\s*([kKmMgG]?)$")
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(value: str) -> int:
    """nginx sizes: `0`, `8192`, `8k`, `10m`, `1g` -> bytes."""
    match = _SIZE.match(value.strip())
    if not match:
        raise ValueError(f"invalid size '{value}' (expected a number with an optional k, m or g suffix)")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def _parse_int(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not an integer") from None
        if minimum is not None and number < minimum:
            raise ValueError(f"must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise ValueError(f"must be at most {maximum}")
        return number

    return parse


def _parse_number(minimum: float = 0.0, *, exclusive: bool = False) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"'{value}' is not a finite number")
        if number < minimum or (exclusive and number == minimum):
            raise ValueError(f"must be greater than {minimum:g}" if exclusive else f"must be at least {minimum:g}")
        return number

    return parse


def _parse_enum(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        lowered = value.strip().lower()
        if lowered not in allowed:
            raise ValueError(f"has an invalid value: '{value}' (expected one of: {', '.join(allowed)})")
        return lowered

    return parse


def _parse_database(value: str) -> str:
    if value.strip().lower() == "cassandra":
        raise ValueError("cassandra is not supported (Kong removed it in 3.0); use postgres, sqlite or off")
    return _parse_enum("sqlite", "postgres", "off")(value)


def _parse_cluster_secret(value: str) -> str | None:
    value = value.strip()
    if value and len(value) < 32:
        raise ValueError("must be at least 32 characters (use a random string)")
    return value or None


def _parse_header_buffers(value: str) -> tuple[int, int]:
    """nginx `large_client_header_buffers`: `<number> <size>` -> (number, size in bytes)."""
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1:
        raise ValueError(f"expected '<number> <size>' such as '4 8k', got '{value}'")
    size = parse_size(parts[1])
    if size < 1024:
        raise ValueError("the buffer size must be at least 1k")
    return int(parts[0]), size


def _parse_str(value: str) -> str:
    return value.strip()


def _parse_optional_str(value: str) -> str | None:
    value = value.strip()
    return value or None


def _parse_optional_text(value: str) -> str | None:
    return value if value.strip() else None


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _parse_list(value: str) -> tuple[str, ...]:
    items = _split_list(value)
    return () if items == ("off",) else items


def _parse_optional_url(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{value}' is not an http(s) URL")
    return value


def _parse_json_object(value: str) -> dict[str, Any] | None:
    value = value.strip()
    if not value:
        return None
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON: {exc.msg}") from None
    if not isinstance(decoded, dict):
        raise ValueError("must be a JSON object")
    return decoded


def _parse_file_path(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if not Path(value).is_file():
        raise ValueError(f"no such file at {value}")
    return value


def _parse_worker_processes(value: str) -> int | None:
    """`auto` -> None (one per CPU, resolved by `NodeConfig.worker_count`), else N >= 1."""
    if value.strip().lower() == "auto":
        return None
    return _parse_int(1, 1024)(value)


def _parse_trusted_ips(value: str) -> tuple[str, ...]:
    items = _parse_list(value)
    for item in items:
        if item == "unix:":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"invalid IP or CIDR range: '{item}'") from None
    return items


def _parse_headers(value: str) -> tuple[str, ...]:
    items = _parse_list(value)
    for item in items:
        if item.lower() not in ("server_tokens", "latency_tokens") and item.lower() not in _HEADER_NAMES:
            raise ValueError(f"invalid header value: '{item}'")
    return items


def _parse_log(value: str) -> LogTarget:
    """`off` | `<path> [combined|json]`; relative paths are resolved against the prefix later."""
    parts = value.split()
    if not parts or parts[0].lower() == "off":
        return LogTarget(None)
    if len(parts) > 2:
        raise ValueError(f"expected '<path> [combined|json]' or 'off', got '{value}'")
    fmt = parts[1].lower() if len(parts) == 2 else "combined"
    if fmt not in ("combined", "json"):
        raise ValueError(f"unknown log format '{parts[1]}' (expected combined or json)")
    return LogTarget(parts[0], fmt)


def _parse_error_log(value: str) -> LogTarget:
    target = _parse_log(value)
    if target.path is not None and len(value.split()) > 1:
        raise ValueError(f"expected a path or 'off', got '{value}'")
    return target


def _parse_declarative_path(value: str) -> str | None:
    value = value.strip()
    return value or None


_ADDRESS = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9_.*-]+)):(?P<port>\d+)$")


def _parse_listen_entry(entry: str) -> ListenSpec:
    tokens = entry.split()
    if not tokens:
        raise ValueError(_LISTEN_FORM)
    match = _ADDRESS.match(tokens[0])
    if not match:
        raise ValueError(f"'{entry}' {_LISTEN_FORM}")
    host = match.group("v6") or match.group("host") or ""
    if match.group("v6"):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"'{entry}': invalid IPv6 address '{host}'") from None
    port = int(match.group("port"))
    if port > 65535:
        raise ValueError(f"'{entry}': invalid port {port}")
    flags: dict[str, Any] = {}
    for token in tokens[1:]:
        lowered = token.lower()
        if lowered in ("ssl", "http2", "proxy_protocol", "reuseport", "deferred", "bind"):
            flags[lowered] = True
        elif lowered.startswith("backlog="):
            try:
                flags["backlog"] = int(lowered.removeprefix("backlog="))
            except ValueError:
                raise ValueError(f"'{entry}': invalid backlog '{token}'") from None
            if flags["backlog"] < 1:
                raise ValueError(f"'{entry}': backlog must be at least 1")
        elif re.fullmatch(r"ipv6only=(on|off)", lowered) or re.fullmatch(r"so_keepalive=\S+", lowered):
            continue  # accepted like nginx; the kernel defaults are kept
        else:
            raise ValueError(f"'{entry}': unknown flag '{token}'; {_LISTEN_FORM}")
    return ListenSpec(host=host, port=port, **flags)


def parse_listen(value: str) -> tuple[ListenSpec, ...]:
    """Kong's listen syntax: comma separated `addr:port [flags]`, or `off` (no listener)."""
    entries = [entry.strip() for entry in value.split(",")]
    if [e.lower() for e in entries if e] in ([], ["off"]):
        return ()
    if any(not entry for entry in entries):
        raise ValueError(f"empty entry; {_LISTEN_FORM}")
    return tuple(_parse_listen_entry(entry) for entry in entries)


# -- the key table --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Key:
    default: str
    parse: Callable[[str], Any]
    secret: bool = False


_PROXY_LISTEN = "0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384"
_ADMIN_LISTEN = "127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384"

_KEYS: Final[dict[str, _Key]] = {
    "prefix": _Key("servroot", _parse_str),
    "proxy_listen": _Key(_PROXY_LISTEN, parse_listen),
    "admin_listen": _Key(_ADMIN_LISTEN, parse_listen),
    "status_listen": _Key("off", parse_listen),
    "database": _Key("sqlite", _parse_database),
    "pg_host": _Key("127.0.0.1", _parse_str),
    "pg_port": _Key("5432", _parse_int(1, 65535)),
    "pg_user": _Key("kong", _parse_str),
    "pg_password": _Key("", _parse_optional_str, secret=True),
    "pg_database": _Key("kong", _parse_str),
    "pg_schema": _Key("", _parse_optional_str),
    "pg_ssl": _Key("off", parse_bool),
    "pg_ssl_verify": _Key("off", parse_bool),
    "pg_timeout": _Key("5000", _parse_int(1)),
    "pg_max_concurrent_queries": _Key("0", _parse_int(0)),
    "pg_pool_size": _Key("10", _parse_int(1, 1000)),
    "sqlite_path": _Key("", _parse_optional_str),
    "declarative_config": _Key("", _parse_declarative_path),
    "declarative_config_string": _Key("", _parse_optional_text),
    "log_level": _Key("notice", _parse_enum(*LOG_LEVELS)),
    "proxy_access_log": _Key("logs/access.log", _parse_log),
    "proxy_error_log": _Key("logs/error.log", _parse_error_log),
    "admin_access_log": _Key("logs/admin_access.log", _parse_log),
    "admin_error_log": _Key("logs/error.log", _parse_error_log),
    "status_access_log": _Key("off", _parse_log),
    "status_error_log": _Key("logs/status_error.log", _parse_error_log),
    "headers": _Key("server_tokens, latency_tokens", _parse_headers),
    "trusted_ips": _Key("", _parse_trusted_ips),
    "real_ip_header": _Key("X-Real-IP", _parse_str),
    "real_ip_recursive": _Key("off", parse_bool),
    "ssl_cert": _Key("", _parse_file_path),
    "ssl_cert_key": _Key("", _parse_file_path),
    "admin_ssl_cert": _Key("", _parse_file_path),
    "admin_ssl_cert_key": _Key("", _parse_file_path),
    "status_ssl_cert": _Key("", _parse_file_path),
    "status_ssl_cert_key": _Key("", _parse_file_path),
    "lua_ssl_trusted_certificate": _Key("", _parse_list),
    "lua_ssl_verify_depth": _Key("1", _parse_int(0, 100)),
    "nginx_worker_processes": _Key("auto", _parse_worker_processes),
    "client_max_body_size": _Key("0", parse_size),
    "client_body_buffer_size": _Key("8k", parse_size),
    "large_client_header_buffers": _Key("4 8k", _parse_header_buffers),
    "allow_debug_header": _Key("on", parse_bool),
    "error_default_type": _Key("text/plain", _parse_enum(*_ERROR_TYPES)),
    "plugins": _Key("bundled", _parse_list),
    "node_id": _Key("", _parse_optional_str),
    "cluster_secret": _Key("", _parse_cluster_secret, secret=True),
    "role": _Key("traditional", _parse_enum("traditional")),
    "router_flavor": _Key("traditional_compatible", _parse_enum("traditional", "traditional_compatible")),
    "db_update_frequency": _Key("5", _parse_number(0.0, exclusive=True)),
    "db_update_propagation": _Key("0", _parse_number()),
    "db_cache_ttl": _Key("0", _parse_number()),
    "db_resurrect_ttl": _Key("30", _parse_number()),
    "worker_consistency": _Key("strict", _parse_enum("strict", "eventual")),
    "worker_state_update_frequency": _Key("5", _parse_number(0.0, exclusive=True)),
    "upstream_keepalive_pool_size": _Key("60", _parse_int(0)),
    "upstream_keepalive_max_requests": _Key("100", _parse_int(0)),
    "upstream_keepalive_idle_timeout": _Key("60", _parse_number()),
    "mem_cache_size": _Key("128m", parse_size),
    # Enterprise Dev Portal and Manager keys: parsed and validated now, used by the portal.
    "admin_gui_listen": _Key("0.0.0.0:8002, 0.0.0.0:8445 ssl", parse_listen),
    "admin_gui_url": _Key("", _parse_optional_url),
    "admin_api_uri": _Key("", _parse_optional_url),
    "portal": _Key("off", parse_bool),
    "portal_gui_listen": _Key("0.0.0.0:8003, 0.0.0.0:8446 ssl", parse_listen),
    "portal_api_listen": _Key("0.0.0.0:8004, 0.0.0.0:8447 ssl", parse_listen),
    "portal_gui_protocol": _Key("http", _parse_enum("http", "https")),
    "portal_gui_host": _Key("127.0.0.1:8003", _parse_str),
    "portal_gui_use_subdomains": _Key("off", parse_bool),
    "portal_api_url": _Key("", _parse_optional_url),
    "portal_auth": _Key("", _parse_enum("", "basic-auth", "key-auth", "openid-connect")),
    "portal_auth_conf": _Key("", _parse_json_object, secret=True),
    "portal_auto_approve": _Key("off", parse_bool),
    "portal_session_conf": _Key("", _parse_json_object, secret=True),
    "portal_token_exp": _Key("21600", _parse_int(1)),
    "portal_emails_from": _Key("", _parse_optional_str),
    "portal_emails_reply_to": _Key("", _parse_optional_str),
    "portal_cors_origins": _Key("", _parse_list),
    "portal_ssl_cert": _Key("", _parse_file_path),
    "portal_ssl_cert_key": _Key("", _parse_file_path),
    "enforce_rbac": _Key("off", _parse_enum("off", "on", "both", "entity")),
    "audit_log": _Key("off", parse_bool),
    "license_data": _Key("", _parse_optional_str, secret=True),
}

# Kong keys accepted so existing kong.conf files and container environments start; sekisho ignores them.
_UNUSED_KEY_NAMES: Final = """
    anonymous_reports admin_gui_auth admin_gui_auth_conf admin_gui_session_conf admin_invitation_expiry
    audit_log_ignore_methods audit_log_ignore_paths audit_log_record_ttl audit_log_signing_key cluster_listen
    cluster_telemetry_listen cluster_cert cluster_cert_key cluster_mtls cluster_control_plane
    cluster_data_plane_purge_delay dns_resolver dns_hostsfile dns_order dns_stale_ttl dns_not_found_ttl
    dns_error_ttl dns_no_sync lua_package_path lua_package_cpath lua_socket_pool_size mem_cache_size_ratio
    pg_ro_host pg_ro_port pg_ro_user pg_ro_password pg_ro_database pg_ro_ssl pg_ro_timeout portal_app_auth
    portal_invite_email portal_access_request_email portal_approved_email portal_reset_email
    portal_reset_success_email portal_email_verification portal_is_legacy smtp_mock smtp_host smtp_port
    smtp_username smtp_password smtp_ssl smtp_auth_type smtp_admin_emails ssl_cipher_suite ssl_ciphers
    ssl_protocols ssl_prefer_server_ciphers ssl_session_tickets ssl_session_timeout stream_listen
    proxy_stream_access_log proxy_stream_error_log untrusted_lua untrusted_lua_sandbox_requires vaults
    headers_upstream keyring_enabled tracing vitals rbac event_hooks_enabled pluginserver_names
    admin_gui_ssl_cert admin_gui_ssl_cert_key lmdb_environment_path lmdb_map_size worker_events_max_payload
    upstream_keepalive db_cache_warmup_entities cassandra_contact_points
"""
_UNUSED_KEYS: Final = frozenset(_UNUSED_KEY_NAMES.split())
# Whole key families kept for compatibility: nginx directive injection, Cassandra (removed in Kong 3.0).
_UNUSED_FAMILIES: Final = ("nginx_", "cassandra_", "pg_ro_", "smtp_", "cluster_", "dns_", "lua_", "vitals_")
# Secret-looking keys are redacted when the configuration is shown, known or not.
_SECRET_PATTERN = re.compile(r"password|secret|license|token|_key$|conf$", re.IGNORECASE)


@dataclass(frozen=True)
class NodeConfig:
    """The validated configuration of one node. Build it with `load_config`."""

    prefix: Path
    proxy_listen: tuple[ListenSpec, ...]
    admin_listen: tuple[ListenSpec, ...]
    status_listen: tuple[ListenSpec, ...]
    database: str
    pg_host: str
    pg_port: int
    pg_user: str
    pg_password: str | None
    pg_database: str
    pg_schema: str | None
    pg_ssl: bool
    pg_ssl_verify: bool
    pg_timeout: int
    pg_max_concurrent_queries: int
    pg_pool_size: int
    sqlite_path: str | None
    declarative_config: str | None
    declarative_config_string: str | None
    log_level: str
    proxy_access_log: LogTarget
    proxy_error_log: LogTarget
    admin_access_log: LogTarget
    admin_error_log: LogTarget
    status_access_log: LogTarget
    status_error_log: LogTarget
    headers: tuple[str, ...]
    trusted_ips: tuple[str, ...]
    real_ip_header: str
    real_ip_recursive: bool
    ssl_cert: str | None
    ssl_cert_key: str | None
    admin_ssl_cert: str | None
    admin_ssl_cert_key: str | None
    status_ssl_cert: str | None
    status_ssl_cert_key: str | None
    lua_ssl_trusted_certificate: tuple[str, ...]
    lua_ssl_verify_depth: int
    nginx_worker_processes: int | None
    client_max_body_size: int
    client_body_buffer_size: int
    large_client_header_buffers: tuple[int, int]
    allow_debug_header: bool
    error_default_type: str
    plugins: tuple[str, ...]
    node_id: str | None
    cluster_secret: str | None
    role: str
    router_flavor: str
    db_update_frequency: float
    db_update_propagation: float
    db_cache_ttl: float
    db_resurrect_ttl: float
    worker_consistency: str
    worker_state_update_frequency: float
    upstream_keepalive_pool_size: int
    upstream_keepalive_max_requests: int
    upstream_keepalive_idle_timeout: float
    mem_cache_size: int
    admin_gui_listen: tuple[ListenSpec, ...]
    admin_gui_url: str | None
    admin_api_uri: str | None
    portal: bool
    portal_gui_listen: tuple[ListenSpec, ...]
    portal_api_listen: tuple[ListenSpec, ...]
    portal_gui_protocol: str
    portal_gui_host: str
    portal_gui_use_subdomains: bool
    portal_api_url: str | None
    portal_auth: str
    portal_auth_conf: dict[str, Any] | None
    portal_auto_approve: bool
    portal_session_conf: dict[str, Any] | None
    portal_token_exp: int
    portal_emails_from: str | None
    portal_emails_reply_to: str | None
    portal_cors_origins: tuple[str, ...]
    portal_ssl_cert: str | None
    portal_ssl_cert_key: str | None
    enforce_rbac: str
    audit_log: bool
    license_data: str | None
    # Where values came from and what the loader noticed.
    conf_file: Path | None = None
    raw: Mapping[str, str] = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    # -- derived values -----------------------------------------------------------------------------------
    @property
    def worker_count(self) -> int:
        return self.nginx_worker_processes or max(1, os.cpu_count() or 1)

    @property
    def enabled_headers(self) -> frozenset[str]:
        """Kong header names to emit, with `server_tokens`/`latency_tokens` expanded; empty for `off`."""
        names: set[str] = set()
        for token in self.headers:
            lowered = token.lower()
            if lowered == "server_tokens":
                names.update(("Server", "Via"))
            elif lowered == "latency_tokens":
                names.update(_LATENCY_TOKENS)
            else:
                names.add(_HEADER_NAMES[lowered])
        return frozenset(names)

    def resolve(self, path: str) -> Path:
        """A path from the configuration, relative ones taken from the prefix (as Kong does for logs)."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.prefix / candidate

    @property
    def sqlite_file(self) -> Path:
        return self.resolve(self.sqlite_path or "sekisho.db")

    @property
    def pid_file(self) -> Path:
        return self.prefix / "pids" / "sekisho.pid"

    @property
    def env_file(self) -> Path:
        """The effective configuration written at start (Kong's `.kong_env`); worker processes read it."""
        return self.prefix / ".sekisho_env"

    @property
    def ssl_dir(self) -> Path:
        return self.prefix / "ssl"

    def pg_params(self) -> dict[str, Any]:
        """Connection parameters for the PostgreSQL store."""
        return {
            "host": self.pg_host,
            "port": self.pg_port,
            "user": self.pg_user,
            "password": self.pg_password,
            "database": self.pg_database,
            "schema": self.pg_schema,
            "ssl": self.pg_ssl,
            "ssl_verify": self.pg_ssl_verify,
            "timeout": self.pg_timeout / 1000.0,
            "max_concurrent_queries": self.pg_max_concurrent_queries,
            "pool_size": self.pg_pool_size,
        }

    def to_kong_dict(self, *, redact: bool = True) -> dict[str, Any]:
        """The effective settings as JSON-able values (Admin API `GET /`, `start --vv`); secrets masked."""
        out: dict[str, Any] = {}
        for name, key in _KEYS.items():
            value = getattr(self, name)
            if redact and key.secret and value not in (None, ""):
                out[name] = REDACTED
            else:
                out[name] = _jsonable(value)
        out["prefix"] = str(self.prefix)
        out["enabled_headers"] = sorted(self.enabled_headers)
        out["worker_count"] = self.worker_count
        return out

    def effective_raw(self) -> dict[str, str]:
        """Every known key as text; `load_config(overrides=...)` of it gives back the same configuration."""
        out = {name: self.raw.get(name, key.default) for name, key in _KEYS.items()}
        out["prefix"] = str(self.prefix)
        return out

    def to_conf_text(self, *, redact: bool = True) -> str:
        """The effective settings in kong.conf syntax (`check --vv`); secrets masked, multi-line values folded."""
        lines = []
        for name, value in self.effective_raw().items():
            shown = REDACTED if redact and _KEYS[name].secret and value.strip() else value
            lines.append(f"{name} = {_escape_conf_value(shown)}\n")
        return "".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, ListenSpec):
        return str(value)
    if isinstance(value, LogTarget):
        if value.path is None:
            return "off"
        return value.path if value.fmt == "combined" else f"{value.path} {value.fmt}"
    if isinstance(value, Path):
        return str(value)
    return value


# -- conf file ------------------------------------------------------------------------------------------
def _escape_conf_value(value: str) -> str:
    return value.replace("#", "\\#").replace("\n", " ")


def parse_conf_text(text: str, source: str = "<conf>") -> dict[str, str]:
    """kong.conf syntax: `key = value`, `#` starts a comment (`\\#` is a literal `#`)."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = re.sub(r"(?<!\\)#.*$", "", line).replace("\\#", "#").strip()
        if not stripped:
            continue
        key, sep, value = stripped.partition("=")
        if not sep or not key.strip():
            raise ConfigError(source, f"line {number}: expected 'key = value'")
        values[key.strip().lower()] = value.strip()
    return values


def find_conf_file(explicit: str | os.PathLike[str] | None, cwd: Path | None = None) -> Path | None:
    """`-c FILE` when given (must exist), else the first default location that exists."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError("conf", f"no file at {path}")
        return path
    base = cwd or Path.cwd()
    for candidate in DEFAULT_CONF_PATHS:
        path = base / candidate
        if path.is_file():
            return path
    return None


# Variables of the sibling programs sharing the SEKISHO_ prefix (`sekisho idp`, `make bench`): not node keys.
_OTHER_PROGRAMS: Final = ("SEKISHO_IDP_", "SEKISHO_BENCH")


def _env_values(env: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for prefix in ENV_PREFIXES:
        for name, value in env.items():
            if name.startswith(_OTHER_PROGRAMS):
                continue
            if name.startswith(prefix) and len(name) > len(prefix):
                values[name[len(prefix) :].lower()] = value
    return values


def _classify(key: str) -> str:
    if key in _KEYS:
        return "known"
    if key in _UNUSED_KEYS or key.startswith(_UNUSED_FAMILIES):
        return "unused"
    return "unknown"


def load_config(
    conf_file: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    search_default_paths: bool = True,
) -> NodeConfig:
    """Read defaults, the conf file, `KONG_*` then `SEKISHO_*` variables, then `overrides`; validate all."""
    base = cwd or Path.cwd()
    path = find_conf_file(conf_file, base) if (conf_file is not None or search_default_paths) else None
    raw: dict[str, str] = {}
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError("conf", f"cannot read {path}: {exc.strerror}") from None
        raw.update(parse_conf_text(text, str(path)))
    raw.update(_env_values(os.environ if env is None else env))
    raw.update({k.lower(): v for k, v in (overrides or {}).items()})

    warnings: list[str] = []
    notes: list[str] = []
    for raw_key in sorted(raw):
        kind = _classify(raw_key)
        if kind == "unknown":
            warnings.append(f"unknown configuration key '{raw_key}' ignored")
        elif kind == "unused":
            notes.append(f"'{raw_key}' is accepted for Kong compatibility and not used by sekisho")

    values: dict[str, Any] = {}
    for name, key in _KEYS.items():
        text_value = raw.get(name, key.default)
        try:
            values[name] = key.parse(text_value)
        except ValueError as exc:
            raise ConfigError(name, str(exc)) from None
    values["prefix"] = _resolve_prefix(values["prefix"], base)
    config = NodeConfig(
        **values,
        conf_file=path,
        raw={k: v for k, v in raw.items() if k in _KEYS},
        warnings=tuple(warnings),
        notes=tuple(notes),
    )
    _check_consistency(config)
    return config


def _resolve_prefix(value: str, base: Path) -> Path:
    if not value:
        raise ConfigError("prefix", "must not be empty")
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _check_consistency(config: NodeConfig) -> None:
    for cert_key in ("ssl_cert", "admin_ssl_cert", "status_ssl_cert", "portal_ssl_cert"):
        cert, key = getattr(config, cert_key), getattr(config, f"{cert_key}_key")
        if cert and not key:
            raise ConfigError(f"{cert_key}_key", f"must be specified with {cert_key}")
        if key and not cert:
            raise ConfigError(cert_key, f"must be specified with {cert_key}_key")
    if config.declarative_config and config.database == "off" and not Path(config.declarative_config).is_file():
        raise ConfigError("declarative_config", f"no such file at {config.declarative_config}")
    if "off" in (h.lower() for h in config.headers) and len(config.headers) > 1:
        raise ConfigError("headers", "'off' cannot be combined with other values")
    if config.portal and config.portal_auth == "openid-connect" and config.portal_auth_conf is None:
        raise ConfigError("portal_auth_conf", "is required when portal_auth = openid-connect")
    _check_listen_conflicts(config)


def _check_listen_conflicts(config: NodeConfig) -> None:
    seen: dict[tuple[str, int], str] = {}
    groups: Iterable[tuple[str, tuple[ListenSpec, ...]]] = (
        ("proxy_listen", config.proxy_listen),
        ("admin_listen", config.admin_listen),
        ("status_listen", config.status_listen),
    )
    for name, specs in groups:
        for spec in specs:
            if spec.port == 0:
                continue
            where = (spec.host, spec.port)
            if where in seen:
                raise ConfigError(name, f"{spec.host}:{spec.port} is already used by {seen[where]}")
            seen[where] = name


def default_conf_text() -> str:
    """`sekisho.conf.default`: every key with its default, commented out, like Kong's `kong.conf.default`."""
    lines = [
        "# sekisho.conf.default: every setting with its default value (generated; see docs/configuration.md).",
        "# Copy to sekisho.conf (or /etc/sekisho/sekisho.conf) and uncomment what you change. Any key can also be",
        "# set with the environment variables SEKISHO_<KEY> or KONG_<KEY>.",
        "",
    ]
    for name, key in _KEYS.items():
        lines.append(f"#{name} = {_escape_conf_value(key.default)}")
    return "\n".join(lines) + "\n"


def write_env_file(config: NodeConfig) -> Path:
    """Write the effective settings (secrets included, mode 0600) for worker processes to load."""
    path = config.env_file
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(config.effective_raw(), handle)
    os.chmod(path, 0o600)
    return path


def config_from_env_file(prefix: Path) -> NodeConfig:
    """Worker processes load exactly what the supervisor wrote, without re-reading the environment."""
    path = prefix / ".sekisho_env"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError("prefix", f"cannot read the effective configuration at {path}: {exc}") from None
    return load_config(env={}, overrides=raw, search_default_paths=False)


def is_secret_key(name: str) -> bool:
    key = _KEYS.get(name)
    return (key is not None and key.secret) or bool(_SECRET_PATTERN.search(name))
