"""Router micro-benchmark: matches per second for 1 route and for 10,000 routes shaped like a real API.

Run as `python bench/router_bench.py` (add `--json` for one JSON object on stdout). Numbers are
wall-clock throughput of `Router.match` on one core: "uncached" builds the router with the LRU disabled
(every call does the full lookup), "cached" replays a working set that fits the default LRU.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from sekisho.entities import ROUTES, SERVICES
from sekisho.router import Router

Row = dict[str, Any]
Request = tuple[str, str | None, str, dict[str, str]]

RESOURCES = [
    "users", "orders", "invoices", "products", "carts", "payments", "shipments", "reviews", "accounts",
    "sessions", "tokens", "webhooks", "events", "reports", "files", "teams", "projects", "tickets",
]  # fmt: skip
SUBRESOURCES = ["items", "history", "settings", "members", "attachments", "comments"]


def _service(rng: random.Random, index: int) -> Row:
    return SERVICES.insert(
        {"name": f"svc-{index}", "host": f"backend-{index}.internal", "path": rng.choice([None, "/api"])}
    )


def build_api(route_count: int, seed: int = 7) -> tuple[list[Row], dict[str, Row], list[Request]]:
    """Routes for many tenants' hosts, versioned resource prefixes, some regex, wildcard and header routes."""
    rng = random.Random(seed)
    services = [_service(rng, i) for i in range(max(1, route_count // 20))]
    routes: list[Row] = []
    requests: list[Request] = []
    tenants = max(1, route_count // 20)
    created = 1_600_000_000
    while len(routes) < route_count:
        i = len(routes)
        service = services[i % len(services)]
        tenant = f"tenant-{rng.randrange(tenants)}.api.example.com"
        version = f"v{rng.randint(1, 3)}"
        resource = rng.choice(RESOURCES)
        kind = rng.random()
        fields: dict[str, Any] = {"service": {"id": service["id"]}, "created_at": created + i}
        if kind < 0.55:  # host + prefix path
            fields |= {"hosts": [tenant], "paths": [f"/{version}/{resource}"]}
            request: Request = ("GET", tenant, f"/{version}/{resource}/{rng.randrange(10**6)}", {})
        elif kind < 0.70:  # host + prefix + methods
            method = rng.choice(["POST", "PUT", "DELETE"])
            sub = rng.choice(SUBRESOURCES)
            fields |= {"hosts": [tenant], "paths": [f"/{version}/{resource}/{sub}"], "methods": [method]}
            request = (method, tenant, f"/{version}/{resource}/{sub}", {})
        elif kind < 0.80:  # host + regex path with captures
            sub = rng.choice(SUBRESOURCES)
            fields |= {"hosts": [tenant], "paths": [rf"~/{version}/{resource}/(?<id>\d+)/{sub}$"]}
            request = ("GET", tenant, f"/{version}/{resource}/{rng.randrange(10**6)}/{sub}", {})
        elif kind < 0.88:  # wildcard host
            zone = f"zone{rng.randrange(max(1, tenants // 10))}.example.net"
            fields |= {"hosts": [f"*.{zone}"], "paths": [f"/{version}/{resource}"]}
            request = ("GET", f"edge-{rng.randrange(50)}.{zone}", f"/{version}/{resource}", {})
        elif kind < 0.94:  # hostless prefix, shared by everyone
            prefix = f"/public/{resource}/{i}"
            fields |= {"paths": [prefix]}
            request = ("GET", "unknown.example.org", f"{prefix}/x", {})
        else:  # header-routed versions
            fields |= {"hosts": [tenant], "paths": [f"/{resource}"], "headers": {"x-api-version": [version]}}
            request = ("GET", tenant, f"/{resource}/1", {"x-api-version": version})
        routes.append(ROUTES.insert(fields))
        requests.append(request)
    return routes, {s["id"]: s for s in services}, requests


def _throughput(router: Router, requests: list[Request], budget_seconds: float) -> float:
    batch = requests[:2000]
    match = router.match
    total = 0
    start = time.perf_counter()
    deadline = start + budget_seconds
    while True:
        for method, host, path, headers in batch:
            match(method, host, path, headers)
        total += len(batch)
        now = time.perf_counter()
        if now >= deadline:
            return total / (now - start)


def _uncached(routes: list[Row], services: dict[str, Row], requests: list[Request], budget: float) -> float:
    batch = random.Random(1).choices(requests, k=2000)
    return _throughput(Router(routes, services, cache_size=0), batch, budget)


def _unmatched(routes: list[Row], services: dict[str, Row], budget: float) -> float:
    """404 traffic (unknown hosts, unknown paths), uncached: what a scanner costs."""
    rng = random.Random(3)
    batch: list[Request] = [
        ("GET", f"tenant-{rng.randrange(10**6)}.nowhere.example", f"/wp-admin/{rng.randrange(10**9)}.php", {})
        for _ in range(2000)
    ]
    return _throughput(Router(routes, services, cache_size=0), batch, budget)


def _cached(routes: list[Row], services: dict[str, Row], requests: list[Request], budget: float) -> float:
    rng = random.Random(2)
    working_set = rng.choices(requests, k=1000)
    router = Router(routes, services)
    return _throughput(router, working_set * 2, budget)


def run(budget: float, sizes: tuple[int, ...] = (1, 1_000, 10_000)) -> dict[str, Any]:
    results: dict[str, Any] = {"python": sys.version.split()[0]}
    for count in sizes:
        routes, services, requests = build_api(count)
        if count == 1:
            routes = [ROUTES.insert({"hosts": ["api.example.com"], "paths": ["/v1"]})]
            requests = [("GET", "api.example.com", "/v1/users/42", {})]
        start = time.perf_counter()
        router = Router(routes, services)
        build_ms = (time.perf_counter() - start) * 1000
        misses = sum(router.match(*r) is None for r in requests)
        results[f"routes_{count}"] = {
            "routes": len(routes),
            "build_ms": round(build_ms, 1),
            "unmatched_requests": misses,
            "uncached_matches_per_sec": round(_uncached(routes, services, requests, budget)),
            "cached_matches_per_sec": round(_cached(routes, services, requests, budget)),
            "uncached_404_per_sec": round(_unmatched(routes, services, budget)),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object of results")
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per measurement")
    parser.add_argument("--sizes", default="1,1000,10000", help="comma-separated route counts to measure")
    args = parser.parse_args(argv)
    results = run(args.seconds, tuple(int(size) for size in args.sizes.split(",")))
    if args.json:
        print(json.dumps(results))
        return 0
    for name, values in results.items():
        if not isinstance(values, dict):
            print(f"{name}: {values}")
            continue
        print(f"{name}:")
        for key, value in values.items():
            print(f"  {key:>26}: {value:,}" if isinstance(value, int | float) else f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
