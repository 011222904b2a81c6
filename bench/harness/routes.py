"""Declarative configurations for sekisho scenarios, including a 10,000-route table shaped like a real API.

The large table mixes what real Kong deployments carry: many exact hosts (one per product and region),
wildcard hosts for tenants, a few host-less routes, versioned prefix paths, method-restricted routes and a
share of regex paths with captures. Every route points at one of 100 services on the same upstream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

__all__ = ["SampleRequest", "key_auth_config", "large_config", "single_route_config"]

FORMAT_VERSION = "2.1"
_RESOURCES = (
    "users", "orders", "invoices", "payments", "products", "carts", "shipments", "reviews", "accounts",
    "sessions", "tokens", "files", "images", "reports", "events", "webhooks", "subscriptions", "plans",
    "coupons", "messages", "threads", "teams", "projects", "tasks", "comments", "tags", "search",
    "notifications", "devices", "locations",
)  # fmt: skip
_PRODUCTS = ("shop", "billing", "identity", "media", "analytics", "support", "catalog", "logistics")
_REGIONS = ("eu", "us", "ap", "sa", "af", "me", "ca", "au", "in", "jp", "kr", "br", "mx", "de", "fr",
            "uk", "it", "es", "nl", "se", "pl")  # fmt: skip


@dataclass(frozen=True)
class SampleRequest:
    """A request that some route of the table matches (used to spread load over the table)."""

    method: str
    host: str
    path: str
    route: str  # the name of the route it must match


def _service(name: str, upstream_port: int) -> dict[str, Any]:
    return {"name": name, "url": f"http://127.0.0.1:{upstream_port}/"}


def single_route_config(upstream_port: int) -> dict[str, Any]:
    """One service, one route on `/`, no plugins: the proxy's own cost."""
    service = _service("bench", upstream_port) | {"routes": [{"name": "bench", "paths": ["/"]}]}
    return {"_format_version": FORMAT_VERSION, "services": [service]}


def key_auth_config(upstream_port: int, api_key: str) -> dict[str, Any]:
    """The single route with `key-auth`, and one consumer holding `api_key`."""
    route = {"name": "bench", "paths": ["/"], "plugins": [{"name": "key-auth"}]}
    service = _service("bench", upstream_port) | {"routes": [route]}
    consumer = {"username": "bench", "keyauth_credentials": [{"key": api_key}]}
    return {"_format_version": FORMAT_VERSION, "services": [service], "consumers": [consumer]}


def large_config(
    upstream_port: int, *, routes: int = 10_000, seed: int = 2026
) -> tuple[dict[str, Any], list[SampleRequest]]:
    """`routes` routes over 100 services, and sample requests that hit routes spread across the table."""
    rng = random.Random(seed)
    services: list[dict[str, Any]] = [_service(f"svc-{index:03d}", upstream_port) for index in range(100)]
    for service in services:
        service["routes"] = []
    exact_hosts = [f"{product}-{region}.api.example.com" for product in _PRODUCTS for region in _REGIONS]
    samples: list[SampleRequest] = []
    for index in range(routes):
        route, sample = _route(index, rng, exact_hosts)
        services[index % len(services)]["routes"].append(route)
        if index % 37 == 0:
            samples.append(sample)
    return {"_format_version": FORMAT_VERSION, "services": services}, samples


def _route(index: int, rng: random.Random, exact_hosts: list[str]) -> tuple[dict[str, Any], SampleRequest]:
    version = f"v{1 + index % 3}"
    resource = _RESOURCES[index % len(_RESOURCES)]
    # Unique per route: the index picks a host and a path that no other route shares.
    kind = index % 20
    route: dict[str, Any] = {"name": f"route-{index:05d}"}
    if kind == 0:  # host-less, path-only routes (internal or legacy APIs)
        path = f"/internal/{index}/{resource}"
        host = "bench.local"
        route["paths"] = [path]
        sample_path = f"{path}/list"
    elif kind in (1, 2):  # regex routes with a numeric capture
        host = exact_hosts[index % len(exact_hosts)]
        route["hosts"] = [host]
        route["paths"] = [rf"~/{version}/{resource}/(?<id>\d+)/r{index}$"]
        route["regex_priority"] = index % 5
        sample_path = f"/{version}/{resource}/{rng.randint(1, 99_999)}/r{index}"
    elif kind == 3:  # wildcard tenant hosts
        route["hosts"] = [f"*.tenant{index}.example.net"]
        host = f"acme.tenant{index}.example.net"
        route["paths"] = [f"/{version}/{resource}"]
        sample_path = f"/{version}/{resource}/{rng.randint(1, 999)}"
    else:  # the bulk: exact host + versioned prefix, some restricted to methods
        host = exact_hosts[index % len(exact_hosts)]
        route["hosts"] = [host]
        route["paths"] = [f"/{version}/{resource}/g{index}"]
        if kind % 4 == 0:
            route["methods"] = ["GET", "HEAD"]
        sample_path = f"/{version}/{resource}/g{index}/{rng.randint(1, 999)}"
    route["strip_path"] = kind % 2 == 0
    return route, SampleRequest("GET", host, sample_path, route["name"])
