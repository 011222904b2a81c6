"""The immutable configuration snapshot the proxy reads: router, services, balancers, plugins, certificates.

Built off the hot path from all rows; a request keeps the snapshot it started with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sekisho.plugins.base import Plugin
from sekisho.router import Router
from sekisho.runtime.balancer import Balancer, Target, TargetHealth, split_target
from sekisho.runtime.certificates import CertificateStore
from sekisho.runtime.plan import PluginIndex

__all__ = ["SNAPSHOT_ENTITIES", "HealthLookup", "Snapshot", "build_snapshot"]

Row = dict[str, Any]
HealthLookup = Callable[[str, str], TargetHealth]
"""(upstream id, target `host:port`) -> the target's health state, kept across snapshots."""

SNAPSHOT_ENTITIES = (
    "services",
    "routes",
    "consumers",
    "plugins",
    "upstreams",
    "targets",
    "certificates",
    "snis",
    "ca_certificates",
)


class Snapshot:
    """Everything a request needs from the configuration, read-only."""

    __slots__ = (
        "balancers",
        "certificates",
        "memo",
        "plugins",
        "router",
        "rows",
        "services",
        "upstreams",
        "version",
    )

    def __init__(
        self,
        *,
        version: int,
        router: Router,
        services: Mapping[str, Row],
        balancers: Mapping[str, Balancer],
        upstreams: Mapping[str, Row],
        plugins: PluginIndex,
        certificates: CertificateStore,
        rows: Mapping[str, list[Row]],
    ) -> None:
        self.version = version
        self.router = router
        self.services = services
        self.balancers = balancers
        self.upstreams = upstreams
        self.plugins = plugins
        self.certificates = certificates
        self.rows = rows
        # Per-route values derived lazily by the proxy (lives and dies with this snapshot).
        self.memo: dict[Any, Any] = {}

    def balancer_for(self, host: str) -> Balancer | None:
        """The balancer of the upstream named `host` (a service's host), if there is one."""
        if not self.balancers:
            return None
        return self.balancers.get(host.lower())


def _ref(row: Row, key: str) -> str | None:
    value = row.get(key)
    if isinstance(value, Mapping):
        ident = value.get("id")
        return str(ident) if ident is not None else None
    return None


def _default_health(_upstream_id: str, _target: str) -> TargetHealth:
    return TargetHealth()


def build_balancers(
    upstreams: list[Row], targets: list[Row], health: HealthLookup = _default_health
) -> dict[str, Balancer]:
    """Balancers by upstream name; the latest row of a repeated target wins (Kong's target history)."""
    by_upstream: dict[str, dict[str, Row]] = {}
    for row in sorted(targets, key=lambda r: float(r.get("created_at") or 0)):
        upstream_id = _ref(row, "upstream")
        if upstream_id is not None:
            by_upstream.setdefault(upstream_id, {})[str(row["target"])] = row
    balancers: dict[str, Balancer] = {}
    for upstream in upstreams:
        upstream_id = str(upstream["id"])
        members: list[Target] = []
        for name, row in by_upstream.get(upstream_id, {}).items():
            host, port = split_target(name)
            members.append(Target(host, port, int(row.get("weight") or 0), health(upstream_id, name)))
        balancers[str(upstream["name"]).lower()] = Balancer(upstream, members)
    return balancers


def build_snapshot(
    rows: Mapping[str, list[Row]],
    instances: Mapping[str, Plugin[Any]],
    *,
    version: int = 0,
    health: HealthLookup = _default_health,
) -> Snapshot:
    """Compile `rows` (entity name -> every row) into a Snapshot."""
    services = {str(s["id"]): s for s in rows.get("services", [])}
    upstream_rows = list(rows.get("upstreams", []))
    return Snapshot(
        version=version,
        router=Router(rows.get("routes", []), services),
        services=services,
        balancers=build_balancers(upstream_rows, list(rows.get("targets", [])), health),
        upstreams={str(u["id"]): u for u in upstream_rows},
        plugins=PluginIndex(rows.get("plugins", []), instances),
        certificates=CertificateStore(rows.get("certificates", []), rows.get("snis", [])),
        rows=rows,
    )
