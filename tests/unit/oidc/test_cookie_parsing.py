"""The plugin's Cookie header parser: never raises, first value of a repeated name wins, quotes dropped."""

from __future__ import annotations

from hypothesis import given, strategies as st

from sekisho.plugins.openid_connect.flow import parse_cookies


def test_pairs_quotes_and_repeats() -> None:
    assert parse_cookies('a=1; b="two"; a=3;;; =x; c') == {"a": "1", "b": "two"}
    assert parse_cookies("session=1:abc=; session_2=def") == {"session": "1:abc=", "session_2": "def"}


def test_oversized_headers_are_ignored() -> None:
    assert parse_cookies("a=" + "x" * 70_000) == {}
    assert parse_cookies(None) == {} and parse_cookies("") == {}


@given(st.text(max_size=2000))
def test_never_raises(header: str) -> None:
    cookies = parse_cookies(header)
    assert all(isinstance(k, str) and isinstance(v, str) and k for k, v in cookies.items())
