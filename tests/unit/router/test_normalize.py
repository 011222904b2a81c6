from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from sekisho.router import normalize_path
from sekisho.router.normalize import sanitize_postfix, split_host_port


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("/", "/"),
        ("/foo/bar", "/foo/bar"),
        ("/foo%2fbar", "/foo%2Fbar"),
        ("/%7euser", "/~user"),
        ("/%41%42%63", "/ABc"),
        ("/a%2Eb", "/a.b"),
        ("/a%20b", "/a%20b"),
        ("/%e2%82%ac", "/%E2%82%AC"),
        ("/a/./b", "/a/b"),
        ("/a/../b", "/b"),
        ("/a/b/..", "/a/"),
        ("/a/b/.", "/a/b/"),
        ("/../a", "/a"),
        ("/a/%2e%2e/b", "/b"),
        ("/a//b///c", "/a/b/c"),
        ("//a", "/a"),
        ("/a/.hidden", "/a/.hidden"),
        ("/a/..b", "/a/..b"),
        ("/a/b/../../..", "/"),
        ("/foo/", "/foo/"),
        ("/%zz", "/%zz"),
    ],
)
def test_normalize_path(raw: str, expected: str) -> None:
    assert normalize_path(raw) == expected


@given(st.text(alphabet="/.a%2eE", max_size=40))
def test_normalize_is_idempotent_and_has_no_dot_segments(raw: str) -> None:
    once = normalize_path("/" + raw)
    assert normalize_path(once) == once
    assert "//" not in once
    assert "/./" not in once and "/../" not in once
    assert not once.endswith(("/.", "/.."))


def test_normalize_stays_linear_on_hostile_input() -> None:
    hostile = "/" + "/./" * 20000 + "a" + "//" * 20000 + "/.." * 20000
    assert normalize_path(hostile) == "/"


@pytest.mark.parametrize(
    ("host", "default", "expected"),
    [
        ("example.com", 80, ("example.com", "example.com:80")),
        ("example.com:8000", 80, ("example.com", "example.com:8000")),
        ("example.com:", 443, ("example.com", "example.com:443")),
        ("example.com:abc", 80, ("example.com:abc", "[example.com:abc]:80")),
        ("[::1]", 80, ("::1", "[::1]:80")),
        ("[::1]:8000", 80, ("::1", "[::1]:8000")),
        ("[::1]:", 80, ("::1", "[::1]:80")),
    ],
)
def test_split_host_port(host: str, default: int, expected: tuple[str, str]) -> None:
    assert split_host_port(host, default) == expected


@pytest.mark.parametrize(
    ("postfix", "expected"), [("", ""), (".", ""), ("..", ""), ("./x", "x"), ("../x", "x"), ("/x", "/x")]
)
def test_sanitize_postfix(postfix: str, expected: str) -> None:
    assert sanitize_postfix(postfix) == expected
