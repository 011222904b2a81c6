"""Table-driven matching cases, after Kong's router spec (spec/01-unit/08-router_spec.lua)."""

from __future__ import annotations

from typing import Any

from sekisho.router import Router

from .conftest import Row, build, make_route, make_service

Case = tuple[str, str | None, str, dict[str, Any], str | None]


def _names(router: Router, cases: list[Case], scheme: str = "http", sni: str | None = None) -> list[str | None]:
    got: list[str | None] = []
    for method, host, path, headers, _ in cases:
        found = router.match(method, host, path, headers, scheme=scheme, sni=sni)
        got.append(found.route["name"] if found else None)
    return got


def _check(routes: list[Row], cases: list[Case], **kwargs: Any) -> None:
    router = build(routes)
    assert _names(router, cases, **kwargs) == [expected for *_, expected in cases]
    # A second pass answers from the cache and must agree.
    assert _names(router, cases, **kwargs) == [expected for *_, expected in cases]


def test_hosts_exact_wildcard_and_port() -> None:
    routes = [
        make_route(name="plain", hosts=["example.com"]),
        make_route(name="with-port", hosts=["ported.com:8000"]),
        make_route(name="suffix", hosts=["*.wild.com"]),
        make_route(name="prefix", hosts=["wild.*"]),
        make_route(name="suffix-port", hosts=["*.port.com:8443"]),
        make_route(name="upper", hosts=["MiXeD.example.org"]),
    ]
    _check(
        routes,
        [
            ("GET", "example.com", "/", {}, "plain"),
            ("GET", "example.com:8000", "/any", {}, "plain"),
            ("GET", "EXAMPLE.com", "/", {}, "plain"),
            ("GET", "sub.example.com", "/", {}, None),
            ("GET", "ported.com:8000", "/", {}, "with-port"),
            ("GET", "ported.com", "/", {}, None),
            ("GET", "ported.com:9000", "/", {}, None),
            ("GET", "a.wild.com", "/", {}, "suffix"),
            ("GET", "a.b.wild.com:1234", "/", {}, "suffix"),
            ("GET", "wild.com", "/", {}, "prefix"),  # `wild.*`, not `*.wild.com`
            ("GET", "wild.org", "/", {}, "prefix"),
            ("GET", "wild.co.uk:81", "/", {}, "prefix"),
            ("GET", "x.port.com:8443", "/", {}, "suffix-port"),
            ("GET", "x.port.com:8444", "/", {}, None),
            ("GET", "x.port.com", "/", {}, None),
            ("GET", "mixed.EXAMPLE.org", "/", {}, "upper"),
            ("GET", None, "/", {}, None),
        ],
    )


def test_wildcard_host_with_port_uses_scheme_default_port() -> None:
    routes = [make_route(name="https-port", hosts=["*.example.com:443"])]
    router = build(routes)
    assert router.match("GET", "a.example.com", "/", {}, scheme="https") is not None
    assert router.match("GET", "a.example.com", "/", {}, scheme="http") is None


def test_prefix_paths_longest_first_without_segment_boundary() -> None:
    routes = [
        make_route(name="root", paths=["/"]),
        make_route(name="foo", paths=["/foo"]),
        make_route(name="foobar", paths=["/foo/bar"]),
        make_route(name="multi", paths=["/x", "/xyz/long"]),
    ]
    _check(
        routes,
        [
            ("GET", None, "/", {}, "root"),
            ("GET", None, "/foo", {}, "foo"),
            ("GET", None, "/foobar", {}, "foo"),
            ("GET", None, "/foo/bar/baz", {}, "foobar"),
            ("GET", None, "/foo/ba", {}, "foo"),
            ("GET", None, "/bar", {}, "root"),
            ("GET", None, "/xyz/long/1", {}, "multi"),
            ("GET", None, "/xa", {}, "multi"),
            ("GET", None, "/foo/./bar/", {}, "foobar"),
            ("GET", None, "//foo//bar", {}, "foobar"),
            ("GET", None, "/%66oo", {}, "foo"),
            ("GET", None, "/baz/../foo/bar", {}, "foobar"),
        ],
    )


def test_no_route_for_empty_path_with_path_routes() -> None:
    assert build([make_route(name="root", paths=["/"])]).match("GET", None, "", {}) is None


def test_regex_paths_anchored_with_captures() -> None:
    service = make_service(path="/up")
    routes = [
        make_route(service, name="user", paths=[r"~/users/(?<id>\d+)/(\w+)"]),
        make_route(service, name="legacy", paths=[r"/v(\d+)/status"]),
        make_route(service, name="prefix", paths=["/users"]),
    ]
    router = build(routes, [service])
    found = router.match("GET", None, "/users/42/profile/extra", {})
    assert found is not None
    assert found.route["name"] == "user"
    assert found.uri_captures == {
        "unnamed": ["/users/42/profile/extra", "42", "profile"],
        "named": {"id": "42"},
    }
    assert found.matched_path == r"~/users/(?<id>\d+)/(\w+)"
    assert found.matched_prefix == "/users/42/profile"
    assert found.upstream_path == "/up/extra"

    legacy = router.match("GET", None, "/v2/status", {})
    assert legacy is not None and legacy.route["name"] == "legacy"
    assert legacy.uri_captures == {"unnamed": ["/v2/status", "2"], "named": {}}

    # Anchored at the start: the regex must match from the first character.
    assert router.match("GET", None, "/api/v2/status", {}) is None
    plain = router.match("GET", None, "/users/abc", {})
    assert plain is not None and plain.route["name"] == "prefix"
    assert plain.uri_captures is None


def test_regex_without_groups_has_no_captures() -> None:
    found = build([make_route(name="r", paths=["~/a+b"])]).match("GET", None, "/aaab/c", {})
    assert found is not None
    assert found.uri_captures is None
    assert found.upstream_path == "/c"


def test_methods() -> None:
    routes = [
        make_route(name="get", methods=["GET", "HEAD"], paths=["/m"]),
        make_route(name="post", methods=["POST"], paths=["/m"]),
        make_route(name="any", paths=["/m"]),
    ]
    _check(
        routes,
        [
            ("GET", None, "/m", {}, "get"),
            ("HEAD", None, "/m", {}, "get"),
            ("POST", None, "/m", {}, "post"),
            ("DELETE", None, "/m", {}, "any"),
        ],
    )


def test_headers_names_and_values_or_case_insensitive() -> None:
    routes = [
        make_route(name="both", headers={"X-Version": ["v1", "V2"], "x-region": ["eu"]}),
        make_route(name="one", headers={"x-version": ["v3"]}),
        make_route(name="regex", headers={"x-tenant": ["~*^acme-\\d+$"]}),
    ]
    _check(
        routes,
        [
            ("GET", None, "/", {"x-version": "v1", "x-region": "eu"}, "both"),
            ("GET", None, "/", {"x-version": "v2", "x-region": "EU"}, "both"),
            ("GET", None, "/", {"x-version": "v1"}, None),
            ("GET", None, "/", {"x-version": "V3", "x-region": "eu"}, "one"),
            ("GET", None, "/", {"x-version": ["v9", "v3"]}, "one"),
            ("GET", None, "/", {"x-region": "eu"}, None),
            ("GET", None, "/", {"x-tenant": "ACME-12"}, "regex"),
            ("GET", None, "/", {"x-tenant": "acme-x"}, None),
        ],
    )


def test_headers_accept_a_callable_lookup() -> None:
    router = build([make_route(name="h", headers={"x-a": ["1"]})])
    found = router.match("GET", None, "/", lambda name: {"x-a": "1"}.get(name))
    assert found is not None and found.route["name"] == "h"
    assert router.match("GET", None, "/", lambda name: None) is None


def test_snis_only_constrain_tls_requests() -> None:
    routes = [
        make_route(name="sni", protocols=["https"], snis=["secure.example.com"], paths=["/s"]),
        make_route(name="wild-sni", protocols=["https"], snis=["*.wild.example.com"]),
    ]
    router = build(routes)

    def name(scheme: str, sni: str | None, path: str = "/s") -> str | None:
        found = router.match("GET", "whatever", path, {}, scheme=scheme, sni=sni)
        return found.route["name"] if found else None

    assert name("https", "secure.example.com") == "sni"
    assert name("https", "secure.example.com.") == "sni"
    assert name("https", "other.example.com") is None
    assert name("https", None) is None
    assert name("http", None) == "sni"
    assert name("https", "a.wild.example.com", "/x") == "wild-sni"


def test_stream_routes_are_ignored() -> None:
    router = build([make_route(name="tls", protocols=["tls"], snis=["a.example.com"])])
    assert len(router) == 0
    assert router.match("GET", None, "/", {}, scheme="https", sni="a.example.com") is None


def test_disabled_service_routes_are_skipped_and_missing_service_is_none() -> None:
    on = make_service(name="on")
    off = make_service(name="off", enabled=False)
    routes = [
        make_route(off, name="disabled", paths=["/x/y"]),
        make_route(on, name="enabled", paths=["/x"]),
        make_route(None, name="serviceless", paths=["/none"]),
        make_route(make_service(), name="dangling", paths=["/dangling"]),
    ]
    router = build(routes, [on, off])
    found = router.match("GET", None, "/x/y", {})
    assert found is not None and found.route["name"] == "enabled"
    assert found.service is on
    serviceless = router.match("GET", None, "/none", {})
    assert serviceless is not None and serviceless.service is None
    dangling = router.match("GET", None, "/dangling", {})
    assert dangling is not None and dangling.service is None


def test_kong_28_style_regex_with_python_named_groups_and_empty_capture() -> None:
    router = build([make_route(name="u", paths=[r"/users/(?P<user_id>\d+)/profile/?(?P<scope>[a-z]*)"])])
    for _ in range(2):  # the second answer comes from the cache
        found = router.match("GET", "domain.org", "/users/1984/profile", {})
        assert found is not None
        assert found.uri_captures == {
            "unnamed": ["/users/1984/profile", "1984", ""],
            "named": {"user_id": "1984", "scope": ""},
        }


def test_unmatched_optional_group_is_none() -> None:
    found = build([make_route(name="o", paths=[r"~/a(/(?<tail>x))?"])]).match("GET", None, "/a", {})
    assert found is not None
    assert found.uri_captures == {"unnamed": ["/a", None, None], "named": {"tail": None}}
