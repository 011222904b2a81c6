"""What the proxy derives once per route from the snapshot: the service's upstream address, timeouts,
pre-encoded Host header and plugin plans, so a request needs one dictionary lookup instead of many."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from sekisho.runtime.certificates import client_context

if TYPE_CHECKING:
    from sekisho.runtime.balancer import Balancer
    from sekisho.runtime.plan import PluginPlan
    from sekisho.runtime.snapshot import Snapshot

__all__ = ["RouteTarget", "route_target"]

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class RouteTarget:
    __slots__ = (
        "balancer",
        "connect_timeout",
        "grpc_only",
        "host",
        "host_header",
        "https_only",
        "plan_http",
        "plan_https",
        "pool_key",
        "port",
        "preserve_host",
        "read_timeout",
        "redirect_status",
        "retries",
        "route",
        "scheme",
        "service",
        "tls",
        "tls_verify",
        "write_timeout",
    )

    def __init__(self, snapshot: Snapshot, route: dict[str, Any], service: dict[str, Any]) -> None:
        self.route = route
        self.service = service
        protocols = route.get("protocols") or ()
        self.https_only = "http" not in protocols and "https" in protocols
        self.grpc_only = bool(protocols) and all(p in ("grpc", "grpcs") for p in protocols)
        self.redirect_status = int(route.get("https_redirect_status_code") or 426)
        self.preserve_host = bool(route.get("preserve_host"))
        self.scheme = "https" if service.get("protocol") in ("https", "wss", "grpcs") else "http"
        self.host = str(service.get("host"))
        self.port = int(service.get("port") or 80)
        self.balancer: Balancer | None = snapshot.balancer_for(self.host)
        self.connect_timeout = int(service.get("connect_timeout") or 60000) / 1000
        self.read_timeout = int(service.get("read_timeout") or 60000) / 1000
        self.write_timeout = int(service.get("write_timeout") or 60000) / 1000
        self.retries = int(service.get("retries") or 0)
        self.tls_verify = bool(service.get("tls_verify"))
        self.tls: ssl.SSLContext | None = (
            tls_context(snapshot, service, self.balancer) if self.scheme == "https" else None
        )
        self.pool_key = (self.host, self.port, self.tls, None)
        self.host_header = host_header(self.host, self.port, self.scheme, self.balancer)
        route_id = route.get("id")
        service_id = service.get("id")
        self.plan_http: PluginPlan = snapshot.plugins.plan(route_id, service_id, "http")
        self.plan_https: PluginPlan = snapshot.plugins.plan(route_id, service_id, "https")


def host_header(host: str, port: int, scheme: str, balancer: Balancer | None) -> bytes | None:
    """The Host sent upstream (None when it depends on the chosen target's port)."""
    if balancer is not None:
        if balancer.upstream.get("host_header"):
            return str(balancer.upstream["host_header"]).encode("latin-1")
        return None
    return host_with_port(host, port, scheme)


def host_with_port(host: str, port: int, scheme: str) -> bytes:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port != _DEFAULT_PORTS.get(scheme):
        return f"{host}:{port}".encode("latin-1")
    return host.encode("latin-1")


def _ref(row: Mapping[str, Any] | None, key: str) -> str | None:
    value = (row or {}).get(key)
    return str(value["id"]) if isinstance(value, Mapping) and value.get("id") else None


def tls_context(snapshot: Snapshot, service: dict[str, Any], balancer: Balancer | None) -> ssl.SSLContext:
    """The upstream TLS context of a service (verification, CA certificates, client certificate),
    shared by every route of the snapshot that needs the same one."""
    verify = bool(service.get("tls_verify"))
    ca_ids = tuple(sorted(str(i) for i in service.get("ca_certificates") or ()))
    client_id = _ref(service, "client_certificate") or _ref(
        balancer.upstream if balancer else None, "client_certificate"
    )
    key = ("tls", verify, ca_ids, client_id)
    found = snapshot.memo.get(key)
    if found is None:
        cas = [row["cert"] for row in snapshot.rows.get("ca_certificates", []) if str(row.get("id")) in ca_ids]
        pair = None
        if client_id is not None:
            cert = next((c for c in snapshot.rows.get("certificates", []) if str(c.get("id")) == client_id), None)
            if cert is not None:
                pair = (str(cert["cert"]), str(cert["key"]))
        found = snapshot.memo[key] = client_context(verify=verify, ca_pems=cas, client_pair=pair)
    assert isinstance(found, ssl.SSLContext)
    return found


def route_target(snapshot: Snapshot, route: dict[str, Any], service: dict[str, Any]) -> RouteTarget:
    memo = snapshot.memo
    key = route.get("id")
    found = memo.get(key)
    if found is None or found.service is not service:
        found = RouteTarget(snapshot, route, service)
        memo[key] = found
    return found
