"""Rows that slipped past validation must not break the router; they fail closed."""

from __future__ import annotations

from sekisho.router import Router

from .conftest import make_route


def test_invalid_regex_path_is_skipped_others_still_route() -> None:
    bad = make_route(name="bad", paths=["/ok-never"])
    bad["paths"] = ["~/broken(", "/ok"]
    found = Router([bad], {}).match("GET", None, "/ok/1", {})
    assert found is not None and found.matched_path == "/ok"
    assert Router([bad], {}).match("GET", None, "/broken(", {}) is None


def test_invalid_header_regex_disables_the_route() -> None:
    route = make_route(name="hdr", headers={"x-a": ["~*ok"]})
    route["headers"] = {"x-a": ["~*(unclosed"]}
    router = Router([route], {})
    assert router.match("GET", None, "/", {"x-a": "(unclosed"}) is None


def test_rows_with_missing_optional_keys_and_empty_lists() -> None:
    rows = [
        {"id": "1", "name": "sparse", "paths": ["/sparse"]},
        {"id": "2", "name": "empties", "paths": ["/e"], "hosts": [], "methods": [], "headers": {}, "snis": []},
        {"id": "3", "name": "nothing", "hosts": [], "paths": []},
    ]
    router = Router(rows, {})
    assert len(router) == 2
    sparse = router.match("GET", "any", "/sparse/x", {})
    assert sparse is not None and sparse.upstream_path == "/x"
    empties = router.match("DELETE", "any", "/e", {})
    assert empties is not None and empties.route["name"] == "empties"


def test_host_header_rules_are_ignored() -> None:
    route = make_route(name="r", paths=["/"])
    route["headers"] = {"Host": ["evil.test"]}
    found = Router([route], {}).match("GET", "good.test", "/", {})
    assert found is not None


def test_wildcards_the_index_cannot_file_are_still_matched() -> None:
    route = make_route(name="odd", paths=["/"])
    route["hosts"] = ["api.*.example.com"]
    router = Router([route], {})
    found = router.match("GET", "api.eu.example.com", "/x", {})
    assert found is not None and found.matched_host == "api.*.example.com"
    assert router.match("GET", "web.eu.example.com", "/x", {}) is None


def test_absurd_host_values_still_resolve_wildcards() -> None:
    routes = [make_route(name="suffix", hosts=["*.example.com"]), make_route(name="prefix", hosts=["api.*"])]
    router = Router(routes, {})
    long_host = "a." * 50_000 + "example.com"
    found = router.match("GET", long_host, "/", {})
    assert found is not None and found.route["name"] == "suffix"
    found = router.match("GET", "api." + "b." * 50_000 + "org", "/", {})
    assert found is not None and found.route["name"] == "prefix"
    assert router.match("GET", "x." * 50_000 + "org", "/", {}) is None
