from __future__ import annotations

from collections import Counter

from bench.harness.routes import large_config
from sekisho.entities.routes import ROUTES
from sekisho.entities.services import SERVICES
from sekisho.router import Router


def test_large_table_is_valid_for_sekisho_and_every_sample_hits_its_own_route() -> None:
    config, samples = large_config(18080, routes=10_000)
    services = {}
    routes = []
    for service_fields in config["services"]:
        route_fields = service_fields.pop("routes")
        service = SERVICES.insert(service_fields)
        services[service["id"]] = service
        routes += [ROUTES.insert({**fields, "service": {"id": service["id"]}}) for fields in route_fields]
    assert len(routes) == 10_000
    assert len({route["name"] for route in routes}) == 10_000

    router = Router(routes, services)
    assert len(samples) > 200
    for sample in samples:
        found = router.match(sample.method, sample.host, sample.path, {})
        assert found is not None, sample
        assert found.route["name"] == sample.route, sample
    assert router.match("GET", "nowhere.example", "/no/such/route", {}) is None


def test_large_table_mixes_hosts_wildcards_regex_and_hostless_routes() -> None:
    config, samples = large_config(18080, routes=10_000)
    routes = [route for service in config["services"] for route in service["routes"]]
    kinds = Counter(
        "regex" if route["paths"][0].startswith("~")
        else "wildcard" if any(h.startswith("*.") for h in route.get("hosts", []))
        else "exact" if route.get("hosts")
        else "hostless"
        for route in routes
    )  # fmt: skip
    assert kinds["exact"] > 5_000 and kinds["regex"] >= 500 and kinds["wildcard"] >= 200 and kinds["hostless"] >= 200
    assert len({host for route in routes for host in route.get("hosts", [])}) > 500
    assert len({sample.route for sample in samples}) == len(samples)
