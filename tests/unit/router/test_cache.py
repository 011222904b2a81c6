"""The decision cache: bounded, keyed by every input the router reads, and never changing answers."""

from __future__ import annotations

from sekisho.router import Router
from sekisho.router.lru import LRUCache

from .conftest import build, make_route


def test_lru_evicts_least_recently_used() -> None:
    cache: LRUCache[str, int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the oldest
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_lru_of_size_zero_keeps_nothing() -> None:
    cache: LRUCache[str, int] = LRUCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None and len(cache) == 0


def test_router_cache_is_bounded_for_hits_and_misses() -> None:
    router = Router([make_route(name="r", paths=["/hit"])], {}, cache_size=10)
    for i in range(100):
        assert router.match("GET", None, f"/hit/{i}", {}) is not None
        assert router.match("GET", None, f"/miss/{i}", {}) is None
    assert router.cached_decisions == 20


def test_oversized_requests_are_answered_but_not_cached() -> None:
    router = Router([make_route(name="r", paths=["/"])], {}, cache_size=10)
    found = router.match("GET", None, "/" + "a" * 10_000, {})
    assert found is not None and found.route["name"] == "r"
    assert router.cached_decisions == 0


def test_header_values_are_part_of_the_key() -> None:
    router = build([make_route(name="v1", paths=["/"], headers={"x-v": ["1"]}), make_route(name="plain", paths=["/"])])
    answers = [router.match("GET", None, "/", headers) for headers in ({"x-v": "1"}, {}, {"x-v": "1"}, {"x-v": "2"})]
    assert [a.route["name"] if a else None for a in answers] == ["v1", "plain", "v1", "plain"]


def test_scheme_and_sni_are_part_of_the_key() -> None:
    router = build([make_route(name="sni", protocols=["https"], snis=["a.test"], paths=["/"])])
    assert router.match("GET", None, "/", {}, scheme="https", sni="a.test") is not None
    assert router.match("GET", None, "/", {}, scheme="https", sni="b.test") is None
    assert router.match("GET", None, "/", {}, scheme="http", sni=None) is not None
    assert router.match("GET", None, "/", {}, scheme="https", sni=None) is None
