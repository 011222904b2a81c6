"""The settings the proxy hot path reads (the node helper fills them from kong.conf)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from sekisho import KONG_COMPAT_VERSION

__all__ = ["ListenSpec", "ProxySettings"]

SERVER_TOKENS = "server_tokens"
LATENCY_TOKENS = "latency_tokens"


@dataclass(frozen=True, slots=True)
class ListenSpec:
    """One proxy listener: `host:port` with optional TLS (`port=0` picks a free port)."""

    host: str = "0.0.0.0"
    port: int = 8000
    ssl: bool = False
    backlog: int = 16384
    reuse_port: bool = False  # SO_REUSEPORT: several worker processes bind the same address


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """kong.conf settings of the proxy. Sizes are bytes, times are seconds unless the name says `_ms`."""

    trusted_ips: tuple[str, ...] = ()
    real_ip_header: str = "X-Real-IP"
    real_ip_recursive: bool = False
    # kong.conf `headers`: any of server_tokens, latency_tokens, X-Kong-Upstream-Latency, X-Kong-Proxy-Latency,
    # X-Kong-Response-Latency, X-Kong-Upstream-Status, Server, Via; `off` is the empty tuple.
    headers: tuple[str, ...] = (SERVER_TOKENS, LATENCY_TOKENS)
    server_token: str = f"kong/{KONG_COMPAT_VERSION}"
    client_max_body_size: int = 0  # 0 = unlimited (Kong's default)
    client_body_buffer_size: int = 8 * 1024 * 1024  # what kong.request.get_raw_body() may buffer
    max_request_line_size: int = 8192  # nginx large_client_header_buffers: 4 8k
    max_header_line_size: int = 8192
    max_headers_size: int = 32768
    max_header_count: int = 200  # nginx has no count limit, only sizes; this bounds per-request work
    header_read_timeout: float = 60.0  # nginx client_header_timeout
    body_read_timeout: float = 60.0  # nginx client_body_timeout (between two reads)
    keepalive_timeout: float = 75.0
    keepalive_requests: int = 10000
    error_default_type: str = "text/plain"
    allow_debug_header: bool = True  # 2.8 answers `Kong-Debug: 1`; 3.x gates it behind this setting
    default_cert_path: str | None = None
    default_key_path: str | None = None
    node_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    hostname: str = field(default_factory=socket.gethostname)
    # The cluster-wide secret `kong.node.derive_secret` derives from; the node sets the one generated at
    # bootstrap (shared by every worker and node). The default is random per process: fine for tests only.
    cluster_secret: bytes = field(default_factory=lambda: os.urandom(32), repr=False)
    upstream_keepalive_pool_size: int = 60
    upstream_keepalive_max_requests: int = 100000
    upstream_keepalive_idle_timeout: float = 60.0
    log_phase_timeout: float = 10.0
    # Bytes buffered per direction before reading from the other side pauses (flow control).
    high_water: int = 256 * 1024

    def header_enabled(self, name: str) -> bool:
        """Whether kong.conf `headers` enables the response header `name` (tokens cover groups)."""
        lowered = {h.lower() for h in self.headers}
        if name.lower() in lowered:
            return True
        if name in ("Server", "Via"):
            return SERVER_TOKENS in lowered
        if name in ("X-Kong-Upstream-Latency", "X-Kong-Proxy-Latency", "X-Kong-Response-Latency"):
            return LATENCY_TOKENS in lowered
        return False
