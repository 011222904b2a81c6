"""Kong's router spec `select()` use cases (spec/01-unit/08-router_spec.lua), ported."""

from __future__ import annotations

from typing import Any

import pytest

from sekisho.router import Router

from .conftest import make_route, make_service

USE_CASES: list[dict[str, Any]] = [
    {"name": "r1-host", "hosts": ["domain-1.org", "domain-2.org"]},
    {"name": "r2-method", "methods": ["TRACE"]},
    {"name": "r3-uri", "paths": ["/my-route"]},
    {"name": "r4-host-uri", "paths": ["/route-4"], "hosts": ["domain-1.org", "domain-2.org"]},
    {"name": "r5-host-method", "hosts": ["domain-1.org", "domain-2.org"], "methods": ["POST", "PUT", "PATCH"]},
    {"name": "r6-uri-method", "methods": ["POST", "PUT", "PATCH"], "paths": ["/route-6"]},
    {
        "name": "r7-host-uri-method",
        "hosts": ["domain-with-uri-1.org", "domain-with-uri-2.org"],
        "methods": ["POST", "PUT", "PATCH"],
        "paths": ["/my-route-uri"],
    },
    {"name": "r8-serviceless", "paths": ["/serviceless"], "_serviceless": True},
    {"name": "r9-header", "headers": {"location": ["my-location-1", "my-location-2"]}},
    {"name": "r10-headers", "headers": {"location": ["my-location-1"], "version": ["v1", "v2"]}},
    {"name": "r11-header-uri", "headers": {"location": ["my-location-1", "my-location-2"]}, "paths": ["/headers-uri"]},
    {
        "name": "r12-all",
        "hosts": ["domain-with-headers-1.org", "domain-with-headers-2.org"],
        "headers": {"location": ["my-location-1", "my-location-2"]},
        "methods": ["POST", "PUT", "PATCH"],
        "paths": ["/headers-host-uri-method"],
    },
    {"name": "r13-host-port", "hosts": ["domain-1.org:321", "domain-2.org"]},
    {"name": "r14-port-only", "hosts": ["domain-3.org:321"]},
    {"name": "r15-header-regex", "headers": {"user-agent": [r"~*windows|linux|os\s+x\s*[\d\._]+|solaris|bsd"]}},
]

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0.4103.116 Safari/537.36"


@pytest.fixture(scope="module")
def router() -> Router:
    service = make_service()
    routes = []
    for fields in USE_CASES:
        fields = dict(fields)
        serviceless = fields.pop("_serviceless", False)
        routes.append(make_route(None if serviceless else service, **fields))
    return Router(routes, {service["id"]: service})


@pytest.mark.parametrize(
    ("method", "path", "host", "headers", "expected"),
    [
        ("GET", "/", "domain-1.org", {}, "r1-host"),
        ("GET", "/", "domain-1.org:80", {}, "r1-host"),
        ("GET", "/", "domain-1.org:123", {}, "r1-host"),
        ("GET", "/", "domain-1.org:321", {}, "r13-host-port"),
        ("GET", "/", "domain-3.org:321", {}, "r14-port-only"),
        ("GET", "/", "domain-3.org:123", {}, None),
        ("GET", "/my-route", "domain.org", {}, "r3-uri"),
        ("GET", "/my-route/some/path", "domain.org", {}, "r3-uri"),
        ("GET", "/my-route-uri", "", {}, "r3-uri"),
        ("TRACE", "/", "domain.org", {}, "r2-method"),
        ("GET", "/route-4", "domain-1.org", {}, "r4-host-uri"),
        ("POST", "/", "domain-1.org", {}, "r5-host-method"),
        ("PUT", "/route-6", "domain.org", {}, "r6-uri-method"),
        ("PUT", "/my-route-uri", "domain-with-uri-2.org", {}, "r7-host-uri-method"),
        ("GET", "/", None, {"location": "my-location-1"}, "r9-header"),
        ("GET", "/", None, {"location": "my-location-2"}, "r9-header"),
        ("GET", "/", None, {"location": ["my-location-3", "my-location-2"]}, "r9-header"),
        ("GET", "/", None, {"location": "my-location-3"}, None),
        ("GET", "/", None, {"location": ["my-location-3", "foo"]}, None),
        ("GET", "/", None, {"user-agent": UA}, "r15-header-regex"),
        ("GET", "/", None, {"location": "my-location-1", "version": "v1"}, "r10-headers"),
        ("GET", "/", None, {"location": "my-location-1", "version": "v2"}, "r10-headers"),
        ("GET", "/", None, {"location": ["my-location-3", "my-location-1"], "version": "v2"}, "r10-headers"),
        ("GET", "/", None, {"location": ["my-location-3", "my-location-2"], "version": "v2"}, "r9-header"),
        ("GET", "/headers-uri", None, {"location": "my-location-2"}, "r11-header-uri"),
        ("PUT", "/headers-host-uri-method", "domain-with-headers-1.org", {"location": "my-location-2"}, "r12-all"),
        ("GET", "/serviceless", None, {}, "r8-serviceless"),
    ],
)
def test_select(
    router: Router, method: str, path: str, host: str | None, headers: dict[str, Any], expected: str | None
) -> None:
    found = router.match(method, host, path, headers)
    assert (found.route["name"] if found else None) == expected
    if found is not None:
        assert (found.service is None) == (expected == "r8-serviceless")


def test_ipv6_literal_hosts() -> None:
    routes = [
        make_route(name="any-port-1", hosts=["::11", "[::12]"]),
        make_route(name="any-port-2", hosts=["::21", "[::22]"]),
        make_route(name="port-3", hosts=["[::31]:321", "[::32]:321"]),
        make_route(name="port-4", hosts=["[::21]:321", "[::22]:321"]),
    ]
    router = Router(routes, {})

    def name(host: str) -> str | None:
        found = router.match("GET", host, "/", {})
        return found.route["name"] if found else None

    assert name("::11") == "any-port-1"
    assert name("[::11]") == "any-port-1"
    assert name("[::11]:654") == "any-port-1"
    assert name("[::12]:654") == "any-port-1"
    assert name("[::21]:321") == "port-4"
    assert name("[::31]:321") == "port-3"
    assert name("[::21]:654") == "any-port-2"
    assert name("[::22]:654") == "any-port-2"
    assert name("[::31]:654") is None


def _winner(
    routes: list[dict[str, Any]], method: str, path: str, host: str | None, scheme: str = "http"
) -> tuple[str | None, str | None]:
    rows = [make_route(name=f"r{i}", **fields) for i, fields in enumerate(routes, start=1)]
    found = Router(rows, {}).match(method, host, path, {}, scheme=scheme)
    return (found.route["name"], found.matched_host) if found else (None, None)


@pytest.mark.parametrize(
    ("routes", "request_", "expected"),
    [
        pytest.param(
            [{"paths": ["/something/my-route"]}, {"hosts": ["example.com"], "paths": ["/my-route"]}],
            ("GET", "/something/my-route", "example.com"),
            "r1",
            id="prefix-is-anchored",
        ),
        pytest.param(
            [
                {"hosts": ["example.com"], "paths": ["/my-route"]},
                {"hosts": ["example.com"], "paths": ["/my-route/hello"]},
                {"hosts": ["example.net"], "paths": ["/my-route/hello/world"]},
            ],
            ("GET", "/my-route/hello/world/and/goodnight", "example.com"),
            "r2",
            id="longer-uri-for-another-host-does-not-win",
        ),
        pytest.param(
            [
                {"paths": [r"~/route/persons/\d{3}"]},
                {"paths": [r"~/route/persons/\d{3}/following"]},
                {"paths": [r"~/route/persons/\d{3}/[a-z]+"]},
            ],
            ("GET", "/route/persons/456", "domain.org"),
            "r1",
            id="several-regexes",
        ),
        pytest.param(
            [{"paths": ["/route/fixture"]}, {"paths": ["~/route/(fixture)"]}],
            ("GET", "/route/fixture", "domain.org"),
            "r2",
            id="regex-beats-exact-prefix",
        ),
        pytest.param(
            [
                {"hosts": ["route.com"], "paths": ["/pat"]},
                {"hosts": ["route.com"], "paths": ["/path"], "methods": ["POST"]},
                {"hosts": ["route.com"], "paths": ["~/(path)"]},
            ],
            ("GET", "/path", "route.com"),
            "r3",
            id="regex-and-host-beats-prefix",
        ),
        pytest.param(
            [{"paths": ["~/prefix/[0-9]+"]}], ("GET", "/extra/prefix/123", "domain.org"), None, id="regex-anchored"
        ),
        pytest.param(
            [{"hosts": ["*.route.com"], "paths": ["/path1"]}, {"hosts": ["plain.route.com"], "paths": ["/path2"]}],
            ("GET", "/path1", "plain.route.com"),
            "r1",
            id="wildcard-when-plain-path-differs",
        ),
        pytest.param(
            [{"hosts": ["route.*"]}, {"hosts": ["route.*:80", "route.com.*"]}],
            ("GET", "/", "route.org:80"),
            "r2",
            id="wildcard-port-over-wildcard",
        ),
        pytest.param(
            [{"hosts": ["route.*"]}, {"hosts": ["route.*:123"]}, {"hosts": ["route.*:80"]}],
            ("GET", "/", "route.org"),
            "r3",
            id="wildcard-port-implicit-80",
        ),
        pytest.param(
            [{"hosts": ["route.*"]}, {"hosts": ["route.*:443"]}],
            ("GET", "/", "route.org", "https"),
            "r2",
            id="wildcard-port-implicit-443",
        ),
        pytest.param(
            [{"hosts": ["route.*"]}, {"hosts": ["route.*:443"]}],
            ("GET", "/", "route.org:123"),
            "r1",
            id="wildcard-any-port",
        ),
        pytest.param(
            [{"hosts": ["*.route.net:123"]}], ("GET", "/", "foo.route.net:456"), None, id="wildcard-wrong-port"
        ),
        pytest.param(
            [{"hosts": ["*.domain.com", "example.com"], "paths": ["/path"], "methods": ["GET", "TRACE"]}],
            ("POST", "/path", "foo.domain.com"),
            None,
            id="wildcard-plain-uri-method-rejects-method",
        ),
        pytest.param(
            [
                {"hosts": ["*.example.com"], "paths": [r"~/users/\d+/profile"]},
                {"hosts": ["*.example.com"], "paths": ["/users"]},
            ],
            ("GET", "/users/123/profile", "test.example.com"),
            "r1",
            id="wildcard-and-regex",
        ),
        pytest.param(
            [{"methods": ["GET"]}, {"paths": ["/example"]}],
            ("GET", "/example/status/200", "domain.org"),
            "r2",
            id="method-does-not-supersede-prefix",
        ),
        pytest.param(
            [{"methods": ["GET"]}, {"hosts": ["domain.*"]}],
            ("GET", "/", "nothing.com"),
            "r1",
            id="method-when-wildcard-misses",
        ),
        pytest.param(
            [{"methods": ["GET"]}, {"hosts": ["domain.*"]}],
            ("GET", "/", "domain.com"),
            "r2",
            id="wildcard-host-over-method",
        ),
        pytest.param(
            [{"paths": ["/a", "/bbbbbbb"]}, {"paths": ["/a/bb"]}],
            ("GET", "/a/bb/foobar", "domain.org"),
            "r2",
            id="long-unrelated-path-does-not-lift-short-one",
        ),
        pytest.param(
            [{"hosts": ["host1.com"], "paths": ["/v1/path"]}, {"hosts": ["host2.com"], "paths": ["/"]}],
            ("GET", "/v1/path", "host2.com"),
            "r2",
            id="half-host-uri-match-does-not-supersede",
        ),
        pytest.param(
            [
                {"methods": ["GET"], "paths": [r"~/users/\d+/profile"]},
                {"methods": ["POST"], "paths": [r"~/users/\d*/profile"]},
            ],
            ("POST", "/users/123/profile", "domain.org"),
            "r2",
            id="half-regex-method-match-does-not-supersede",
        ),
    ],
)
def test_kong_cases(routes: list[dict[str, Any]], request_: tuple[str, ...], expected: str | None) -> None:
    assert _winner(routes, *request_)[0] == expected


def test_matched_host_reports_the_route_host_that_matched() -> None:
    routes = [
        {"hosts": ["plain.route.com"]},
        {"hosts": ["*.route.com"]},
        {"hosts": ["route.*"]},
        {"hosts": ["route.com"]},
    ]
    assert _winner(routes, "GET", "/", "route.com") == ("r4", "route.com")
    assert _winner(routes, "GET", "/", "route.org") == ("r3", "route.*")
    assert _winner(routes, "GET", "/", "plain.route.com") == ("r1", "plain.route.com")
    assert _winner(routes, "GET", "/", "foo.route.com") == ("r2", "*.route.com")


def test_more_headers_beat_longer_paths() -> None:
    rows = [
        make_route(name="long", headers={"version": ["v1"]}, paths=["/my-route/hello"]),
        make_route(name="more-headers", headers={"version": ["v1"], "location": ["us-east"]}, paths=["/my-route"]),
    ]
    found = Router(rows, {}).match("GET", "domain.org", "/my-route/hello", {"version": "v1", "location": "us-east"})
    assert found is not None and found.route["name"] == "more-headers"
    assert found.matched_path == "/my-route"
