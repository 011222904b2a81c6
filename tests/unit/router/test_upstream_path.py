"""Upstream path composition: strip_path × path_handling × service.path (kong-core.md §4.3)."""

from __future__ import annotations

import pytest

from .conftest import build, make_route, make_service


@pytest.mark.parametrize(
    ("service_path", "route_path", "request_path", "strip", "handling", "upstream", "prefix"),
    [
        # The spec's key table (service.path "/s").
        ("/s", "/fv0", "/fv0/req", False, "v0", "/s/fv0/req", None),
        ("/s", "/fv1", "/fv1/req", False, "v1", "/sfv1/req", None),
        ("/s", "/tv0", "/tv0/req", True, "v0", "/s/req", "/tv0"),
        ("/s", "/tv0", "/tv0", True, "v0", "/s", "/tv0"),
        ("/s", "/tv1/", "/tv1/req", True, "v1", "/sreq", "/tv1/"),
        ("/s", "/tv0/", "/tv0/", True, "v0", "/s/", "/tv0/"),
        # Service without a path, or "/".
        (None, "/", "/", True, "v0", "/", None),
        (None, "/", "/foo/bar", True, "v0", "/foo/bar", None),
        (None, "/foo", "/foo/bar", True, "v0", "/bar", "/foo"),
        (None, "/foo", "/foo", True, "v0", "/", "/foo"),
        (None, "/foo", "/foo/bar", False, "v0", "/foo/bar", None),
        ("/", "/foo", "/foo/", True, "v0", "/", "/foo"),
        # Service path with a trailing slash.
        ("/s/", "/foo", "/foo", True, "v0", "/s", "/foo"),
        ("/s/", "/foo", "/foo/", True, "v0", "/s/", "/foo"),
        ("/s/", "/foo/", "/foo/", True, "v0", "/s/", "/foo/"),
        ("/s/", "/foo", "/foo/bar", False, "v0", "/s/foo/bar", None),
        ("/s/", "/foo", "/foobar", True, "v0", "/s/bar", "/foo"),
        ("/s/", "/foo", "/foo/bar", True, "v1", "/s/bar", "/foo"),
        # No segment boundary after the prefix.
        ("/s", "/foo", "/foobar", True, "v0", "/s/bar", "/foo"),
        ("/s", "/foo", "/foobar", True, "v1", "/sbar", "/foo"),
        ("/s", "/", "/", False, "v0", "/s", None),
        ("/s", "/foo", "/foo", False, "v1", "/sfoo", None),
        ("/s", "/foo", "/foo", True, "v1", "/s", "/foo"),
        # Normalized request path is what gets forwarded.
        ("/s", "/foo", "/foo/./a//b/../c", True, "v0", "/s/a/c", "/foo"),
        # Regex paths strip the whole match.
        ("/s", r"~/users/\d+", "/users/12/profile", True, "v0", "/s/profile", "/users/12"),
        ("/s", r"~/users/\d+", "/users/12", True, "v0", "/s", "/users/12"),
        ("/s", r"~/users/\d+", "/users/12/profile", False, "v0", "/s/users/12/profile", None),
        ("/s", r"~/users/\d+", "/users/12/profile", True, "v1", "/s/profile", "/users/12"),
    ],
)
def test_upstream_path(
    service_path: str | None,
    route_path: str,
    request_path: str,
    strip: bool,
    handling: str,
    upstream: str,
    prefix: str | None,
) -> None:
    service = make_service(path=service_path) if service_path else make_service()
    route = make_route(service, paths=[route_path], strip_path=strip, path_handling=handling)
    found = build([route], [service]).match("GET", None, request_path, {})
    assert found is not None
    assert found.upstream_path == upstream
    assert found.matched_prefix == prefix


@pytest.mark.parametrize(
    ("strip", "request_path", "upstream"),
    [(True, "/", "/s"), (True, "/a/b", "/s/a/b"), (False, "/a/b", "/s/a/b"), (False, "/", "/s")],
)
def test_route_without_paths_forwards_whole_path(strip: bool, request_path: str, upstream: str) -> None:
    service = make_service(path="/s")
    route = make_route(service, hosts=["h.test"], strip_path=strip)
    found = build([route], [service]).match("GET", "h.test", request_path, {})
    assert found is not None
    assert found.upstream_path == upstream
    assert found.matched_prefix is None
    assert found.matched_path is None
    assert found.matched_host == "h.test"


def test_serviceless_route_composes_against_root() -> None:
    found = build([make_route(paths=["/x"])]).match("GET", None, "/x/y", {})
    assert found is not None
    assert found.service is None
    assert found.upstream_path == "/y"
