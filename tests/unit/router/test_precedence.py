"""Kong's route precedence: field count, field weight, then the in-category tie-breakers."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import build, make_route


def _winner(
    fields: list[dict[str, Any]], method: str, host: str | None, path: str, headers: dict[str, str]
) -> str | None:
    routes = [make_route(**f) for f in fields]
    names = set()
    for order in (routes, routes[::-1]):
        found = build(order).match(method, host, path, headers)
        names.add(found.route["name"] if found else None)
    assert len(names) == 1, "precedence must not depend on the order routes are given in"
    return names.pop()


@pytest.mark.parametrize(
    ("routes", "request_", "expected"),
    [
        pytest.param(
            [{"name": "path", "paths": ["/p"]}, {"name": "host_path", "hosts": ["h.test"], "paths": ["/p"]}],
            ("GET", "h.test", "/p", {}),
            "host_path",
            id="more-fields-first",
        ),
        pytest.param(
            [
                {"name": "host_path_method", "hosts": ["h.test"], "paths": ["/"], "methods": ["GET"]},
                {"name": "host_header", "hosts": ["h.test"], "headers": {"x-a": ["1"]}},
            ],
            ("GET", "h.test", "/p", {"x-a": "1"}),
            "host_path_method",
            id="three-fields-beat-two-heavier",
        ),
        pytest.param(
            [{"name": "path", "paths": ["/p"]}, {"name": "host", "hosts": ["h.test"]}],
            ("GET", "h.test", "/p", {}),
            "host",
            id="host-over-path",
        ),
        pytest.param(
            [{"name": "path", "paths": ["/p"]}, {"name": "header", "headers": {"x-a": ["1"]}}],
            ("GET", None, "/p", {"x-a": "1"}),
            "header",
            id="header-over-path",
        ),
        pytest.param(
            [{"name": "header", "headers": {"x-a": ["1"]}}, {"name": "host", "hosts": ["h.test"]}],
            ("GET", "h.test", "/p", {"x-a": "1"}),
            "host",
            id="host-over-header",
        ),
        pytest.param(
            [{"name": "method", "methods": ["GET"]}, {"name": "path", "paths": ["/"]}],
            ("GET", None, "/p", {}),
            "path",
            id="path-over-method",
        ),
        pytest.param(
            [
                {"name": "host_method", "hosts": ["h.test"], "methods": ["GET"]},
                {"name": "host_path", "hosts": ["h.test"], "paths": ["/"]},
            ],
            ("GET", "h.test", "/p", {}),
            "host_path",
            id="host+path-over-host+method",
        ),
        pytest.param(
            [
                {"name": "wild", "hosts": ["*.example.com"], "paths": ["/p"]},
                {"name": "plain", "hosts": ["a.example.com"], "paths": ["/p"]},
            ],
            ("GET", "a.example.com", "/p", {}),
            "plain",
            id="plain-host-over-wildcard",
        ),
        pytest.param(
            [
                {"name": "plain", "hosts": ["a.example.com"], "paths": ["/p"]},
                {"name": "wild-port", "hosts": ["*.example.com:80"], "paths": ["/p"]},
            ],
            ("GET", "a.example.com", "/p", {}),
            "wild-port",
            id="wildcard-with-port-ranks-highest",
        ),
        pytest.param(
            [
                {"name": "one", "headers": {"x-a": ["1"]}},
                {"name": "two", "headers": {"x-a": ["1"], "x-b": ["2"]}},
            ],
            ("GET", None, "/", {"x-a": "1", "x-b": "2"}),
            "two",
            id="more-headers-first",
        ),
        pytest.param(
            [
                {"name": "long-prefix", "paths": ["/a/123/with/a/long/prefix"]},
                {"name": "regex", "paths": [r"~/a/\d+"]},
            ],
            ("GET", None, "/a/123/with/a/long/prefix", {}),
            "regex",
            id="regex-before-prefix",
        ),
        pytest.param(
            [
                {"name": "low", "paths": [r"~/a/\d+/b"], "regex_priority": 1},
                {"name": "high", "paths": [r"~/a/\d+"], "regex_priority": 5},
            ],
            ("GET", None, "/a/1/b", {}),
            "high",
            id="higher-regex-priority",
        ),
        pytest.param(
            [
                {"name": "short", "paths": ["/a"]},
                {"name": "long", "paths": ["/a/b"]},
            ],
            ("GET", None, "/a/b/c", {}),
            "long",
            id="longer-prefix",
        ),
        pytest.param(
            [
                {"name": "root-and-deep", "paths": ["/", "/foo/bar/baz"]},
                {"name": "mid", "paths": ["/fo"]},
            ],
            ("GET", None, "/fox", {}),
            "mid",
            id="each-path-ranks-on-its-own",
        ),
    ],
)
def test_precedence(
    routes: list[dict[str, Any]], request_: tuple[str, str | None, str, dict[str, str]], expected: str
) -> None:
    method, host, path, headers = request_
    assert _winner(routes, method, host, path, headers=headers) == expected


def test_older_created_at_wins_ties() -> None:
    newer = make_route(name="newer", paths=["/same"], created_at=2000)
    older = make_route(name="older", paths=["/same"], created_at=1000)
    for routes in ([newer, older], [older, newer]):
        found = build(routes).match("GET", None, "/same", {})
        assert found is not None and found.route["name"] == "older"


def test_equal_regex_priority_falls_back_to_created_at() -> None:
    newer = make_route(name="newer", paths=[r"~/r/\d+"], created_at=2000)
    older = make_route(name="older", paths=[r"~/r/\d"], created_at=1000)
    found = build([newer, older]).match("GET", None, "/r/12", {})
    assert found is not None and found.route["name"] == "older"


def test_regex_priority_is_ignored_for_prefix_paths() -> None:
    long = make_route(name="long", paths=["/x/long"], regex_priority=0)
    short = make_route(name="short", paths=["/x"], regex_priority=100)
    found = build([short, long]).match("GET", None, "/x/long/1", {})
    assert found is not None and found.route["name"] == "long"
