"""The indexes and the cache must never change the answer: compare with a scan of every entry in rank order."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from sekisho.router import Router
from sekisho.router.compiled import RequestView
from sekisho.router.normalize import normalize_path, split_host_port

from .conftest import make_route

HOSTS = ["a.test", "b.test", "x.a.test", "a.test:8000", "*.a.test", "a.*", "*.test:80"]
PATHS = ["/", "/a", "/ab", "/a/b", "/b", r"~/a/\d+", r"~/(a|b)/c", "~/ab?c", "/a/b/c"]
METHODS = ["GET", "POST"]
HEADER_SETS: list[dict[str, list[str]]] = [{"x-v": ["1"]}, {"x-v": ["1", "2"], "x-w": ["a"]}, {"x-w": ["~*^b"]}]

route_fields = (
    st.fixed_dictionaries(
        {},
        optional={
            "hosts": st.lists(st.sampled_from(HOSTS), min_size=1, max_size=2, unique=True),
            "paths": st.lists(st.sampled_from(PATHS), min_size=1, max_size=2, unique=True),
            "methods": st.lists(st.sampled_from(METHODS), min_size=1, max_size=2, unique=True),
            "headers": st.sampled_from(HEADER_SETS),
            "regex_priority": st.integers(0, 2),
            "created_at": st.integers(1, 3),
            "snis": st.lists(st.sampled_from(["a.test", "*.sni.test"]), min_size=1, max_size=2, unique=True),
        },
    )
    .map(lambda f: {**f, "protocols": ["https"]} if "snis" in f else f)
    .filter(lambda f: any(k in f for k in ("hosts", "paths", "methods", "headers")))
)

requests = st.tuples(
    st.sampled_from(METHODS),
    st.sampled_from([None, "a.test", "A.TEST:8000", "x.a.test", "y.x.a.test:80", "a.org", "b.test:80", "q.test"]),
    st.sampled_from(["/", "/a", "/ab", "/abc", "/a/1", "/a/b", "/a/b/c", "/b/c", "/ac", "/x", "/a//b/./c"]),
    st.sampled_from([{}, {"x-v": "1"}, {"x-v": "2", "x-w": "A"}, {"x-w": "bb"}]),
    st.sampled_from([("http", None), ("https", None), ("https", "a.test"), ("https", "x.sni.test"), ("https", "b")]),
)


def _scan(
    router: Router, method: str, host: str | None, path: str, headers: dict[str, str], scheme: str, sni: str | None
) -> Any:
    lowered = host.lower() if host else None
    no_port, with_port = split_host_port(lowered, 443 if scheme == "https" else 80) if lowered else ("", "")
    view = RequestView(
        method=method,
        host=lowered,
        host_no_port=no_port,
        host_with_port=with_port,
        path=normalize_path(path),
        scheme=scheme,
        sni=sni,
        headers={k: (v.lower(),) for k, v in headers.items()},
    )
    explicit_port = lowered is not None and no_port != lowered

    def precedence(entry: Any) -> tuple[int, bool, int]:
        port_specific = explicit_port and entry.plain_hosts is not None and lowered in entry.plain_hosts
        return (entry.category, not port_specific, entry.rank)

    matches = [(precedence(e), e.match(view)) for e in router._entries]
    found = [(key, m) for key, m in matches if m is not None]
    return min(found, key=lambda pair: pair[0])[1] if found else None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(route_fields, min_size=1, max_size=12), st.lists(requests, min_size=1, max_size=10))
def test_indexed_match_equals_full_scan(fields: list[dict[str, Any]], reqs: list[Any]) -> None:
    router = Router([make_route(**f) for f in fields], {})
    for _ in range(2):  # second round is served by the cache
        for method, host, path, headers, (scheme, sni) in reqs:
            expected = _scan(router, method, host, path, headers, scheme, sni)
            assert router.match(method, host, path, headers, scheme=scheme, sni=sni) == expected
