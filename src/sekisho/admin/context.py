"""What the Admin API needs from the node: storage, plugins, identity and a few optional services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sekisho import KONG_COMPAT_VERSION, __version__
from sekisho.plugins.registry import PluginRegistry
from sekisho.store.base import Database, Row

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "AdminContext",
    "DeclarativeConfig",
    "HealthChecks",
    "ParsedConfig",
    "ServerCounters",
]

DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
"""Kong's Admin listener accepts bodies up to 10m (`client_max_body_size 10m` in its nginx template)."""

ServerCounters = Callable[[], Mapping[str, int]]
"""Returns the `server` block of `GET /status` (total_requests, connections_active, ...)."""


class ParsedConfig(Protocol):
    """A validated declarative configuration, ready to be loaded: rows per entity plus its content hash."""

    @property
    def entities(self) -> Mapping[str, list[Row]]: ...

    @property
    def config_hash(self) -> str: ...


class DeclarativeConfig(Protocol):
    """DB-less `/config`: parse, load and export declarative configuration (implemented in `store/`)."""

    async def parse(self, document: str | Mapping[str, Any]) -> ParsedConfig:
        """Validate a YAML/JSON text or an already decoded document; raises `DeclarativeError`."""
        ...

    async def load(self, parsed: ParsedConfig) -> None:
        """Replace the whole running configuration with `parsed`."""
        ...

    async def export(self) -> str:
        """The current configuration as a declarative YAML document."""
        ...

    def current_hash(self) -> str | None:
        """Hash of the configuration loaded last, None before the first load."""
        ...


class HealthChecks(Protocol):
    """Node-local balancer health, used by `/upstreams/{u}/health` and the target healthy/unhealthy endpoints."""

    async def target_health(self, upstream: Row, targets: list[Row]) -> Mapping[str, str]:
        """Health (`HEALTHY`, `UNHEALTHY`, `DNS_ERROR`, `HEALTHCHECKS_OFF`) per target id."""
        ...

    async def balancer_health(self, upstream: Row, targets: list[Row]) -> str:
        """`HEALTHY` or `UNHEALTHY` for the whole upstream, `HEALTHCHECKS_OFF` when none are configured."""
        ...

    async def set_target_health(self, upstream: Row, target: Row, address: str | None, healthy: bool) -> None:
        """Force a target (or one of its resolved addresses) healthy or unhealthy on this node."""
        ...


@dataclass(slots=True)
class AdminContext:
    """Everything `build_admin_app` wires together; `configuration` must already be redacted."""

    db: Database
    plugins: PluginRegistry
    node_id: str
    hostname: str
    configuration: Mapping[str, Any] = field(default_factory=dict)
    server_counters: ServerCounters | None = None
    declarative: DeclarativeConfig | None = None
    health: HealthChecks | None = None
    version: str = KONG_COMPAT_VERSION
    server_header: str = f"sekisho/{__version__}"
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
