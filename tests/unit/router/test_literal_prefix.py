"""The regex index relies on `literal_prefix`: every match must start with it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from sekisho.router.compiled import literal_prefix

TOKENS = ["a", "b", "/", "-", r"\.", r"\/", r"\d", "[a-c]", ".", "(a|b)", "(?:x)", "x?", "y*", "z+", "w{2}", "(ab)?"]


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        (r"/users/(?P<id>\d+)", "/users/"),
        (r"^/users", "/users"),
        (r"/users\/(\d+)", "/users/"),
        (r"/a\.?b", "/a"),
        (r"/ab?c", "/a"),
        (r"/ab+c", "/ab"),
        (r"/a{2}", "/"),
        (r"/a|/b", ""),
        (r"(?i)/users", ""),
        (r"\d+", ""),
        (r"/v1/files[0-9]", "/v1/files"),
    ],
)
def test_literal_prefix(pattern: str, prefix: str) -> None:
    assert literal_prefix(pattern) == prefix


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6).flatmap(lambda t: st.just("".join(t))), st.data())
def test_every_match_starts_with_the_literal_prefix(pattern: str, data: st.DataObject) -> None:
    text = data.draw(st.from_regex(re.compile("^" + pattern)))
    match = re.match(pattern, text)
    assert match is not None
    assert text.startswith(literal_prefix(pattern))
