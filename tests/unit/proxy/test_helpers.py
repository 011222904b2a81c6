"""Pure helpers of the hot path: error rendering, real IP, header edits, balancer, worker cache."""

from __future__ import annotations

import asyncio
import collections

import pytest

from sekisho.pdk.cache import WorkerCache
from sekisho.proxy.errors import negotiate, render_error
from sekisho.proxy.forwarded import TrustedIps, real_client_ip
from sekisho.proxy.headers import HeaderEdits
from sekisho.runtime.balancer import Balancer, Target, TargetHealth


@pytest.mark.parametrize(
    ("accept", "default", "expected"),
    [
        ("application/json", "text/plain", "application/json"),
        ("text/html,application/xhtml+xml;q=0.9", "text/plain", "text/html"),
        ("application/xml; charset=utf-8", "text/plain", "application/xml"),
        ("*/*", "text/plain", "text/plain"),
        (None, "text/html", "text/html"),
        ("image/png", "application/json", "application/json"),
    ],
)
def test_negotiate_follows_accept_then_the_default(accept: str | None, default: str, expected: str) -> None:
    assert negotiate(accept, default) == expected


def test_rendered_errors_escape_markup() -> None:
    body, content_type = render_error(400, "<script>", "text/html", "text/plain")
    assert b"&lt;script&gt;" in body
    assert content_type.startswith(b"text/html")


def test_real_ip_only_from_trusted_peers() -> None:
    trusted = TrustedIps(["10.0.0.0/8"])
    assert real_client_ip("192.0.2.1", "1.1.1.1", trusted, False) == "192.0.2.1"
    assert real_client_ip("10.0.0.1", "1.1.1.1, 2.2.2.2", trusted, False) == "2.2.2.2"
    assert real_client_ip("10.0.0.1", "1.1.1.1, 10.9.9.9", trusted, True) == "1.1.1.1"
    assert real_client_ip("10.0.0.1", "not-an-ip", trusted, False) == "10.0.0.1"
    assert not TrustedIps([]).is_trusted("127.0.0.1")
    assert TrustedIps(["0.0.0.0/0", "::/0"]).is_trusted("203.0.113.9")


def test_header_edits_set_add_clear_over_raw_headers() -> None:
    base = [(b"Keep", b"1"), (b"X-Multi", b"a"), (b"Drop", b"x")]
    edits = HeaderEdits()
    edits.add("x-multi", "b")
    edits.clear("drop")
    edits.set("New", 5)
    assert list(edits.apply(base)) == [(b"Keep", b"1"), (b"X-Multi", b"a"), (b"New", b"5"), (b"x-multi", b"b")]
    assert edits.get(b"x-multi", base) == b"a" and edits.get(b"drop", base) is None
    with pytest.raises(ValueError):
        edits.set("Bad", "a\r\nInjected: 1")


def test_added_headers_keep_a_later_base_and_yield_to_set_or_clear() -> None:
    edits = HeaderEdits()
    edits.add("Set-Cookie", "session=1")  # before the response exists (a plugin's access phase)
    response = [(b"Set-Cookie", b"app=2"), (b"Content-Type", b"text/plain")]
    assert list(edits.apply(response)) == [*response, (b"Set-Cookie", b"session=1")]
    assert edits.get(b"set-cookie", []) == b"session=1"
    edits.set("Set-Cookie", "only=3")
    assert list(edits.apply(response)) == [(b"Content-Type", b"text/plain"), (b"Set-Cookie", b"only=3")]
    edits.add("Set-Cookie", "more=4")  # after a set: joins the set values
    assert [v for n, v in edits.apply(response) if n == b"Set-Cookie"] == [b"only=3", b"more=4"]
    cleared = HeaderEdits()
    cleared.add("X-A", "1")
    cleared.clear("X-A")
    assert list(cleared.apply([(b"X-A", b"0")])) == []


_OPS = (
    [("set", "Authorization", "Bearer t"), ("clear", "Cookie", ""), ("add", "Set-Cookie", "s=1")],
    [("add", "X-A", "1"), ("set", "X-A", "2"), ("add", "X-A", "3")],
    [("clear", "X-A", ""), ("add", "X-A", "4")],
    [("set", "X-Up", "v"), ("clear", "X-Up", "")],
)


@pytest.mark.parametrize("ops", _OPS)
@pytest.mark.parametrize(
    "earlier",
    [[], [("set", "X-A", "0")], [("add", "X-A", "9"), ("add", "Set-Cookie", "app=1")], [("clear", "Cookie", "")]],
)
def test_prepared_edits_merge_like_the_same_edits_one_by_one(
    ops: list[tuple[str, str, str]], earlier: list[tuple[str, str, str]]
) -> None:
    base = [(b"Cookie", b"c=1"), (b"X-A", b"base"), (b"Set-Cookie", b"up=1"), (b"X-Up", b"u")]
    one_by_one, merged = HeaderEdits.prepared(earlier), HeaderEdits.prepared(earlier)
    for op, name, value in ops:
        {"set": one_by_one.set, "add": one_by_one.add, "clear": lambda n, _v: one_by_one.clear(n)}[op](name, value)
    prepared = HeaderEdits.prepared(ops)
    merged.merge(prepared)
    assert list(merged.apply(base)) == list(one_by_one.apply(base))


def test_prepared_edits_are_not_changed_by_the_requests_they_are_merged_into() -> None:
    prepared = HeaderEdits.prepared([("set", "X-A", "1"), ("add", "Set-Cookie", "s=1")])
    before = list(prepared.apply([]))
    for _ in range(2):
        edits = HeaderEdits()
        edits.merge(prepared)
        edits.add("X-A", "2")
        edits.add("Set-Cookie", "t=2")
        assert list(edits.apply([])) == [
            (b"X-A", b"1"),
            (b"X-A", b"2"),
            (b"Set-Cookie", b"s=1"),
            (b"Set-Cookie", b"t=2"),
        ]
    assert list(prepared.apply([])) == before
    with pytest.raises(ValueError):
        HeaderEdits.prepared([("set", "X-B", "a\nb")])
    with pytest.raises(ValueError):
        HeaderEdits.prepared([("append", "X-B", "a")])


def _targets(*weights: int) -> list[Target]:
    return [Target(f"10.0.0.{i}", 80, w, TargetHealth()) for i, w in enumerate(weights, start=1)]


def test_round_robin_is_smooth_and_weighted() -> None:
    balancer = Balancer({"name": "u", "algorithm": "round-robin"}, _targets(5, 1, 1))
    picks = [t.host[-1] if t else "-" for t in (balancer.select(None, None) for _ in range(7))]
    assert collections.Counter(picks) == {"1": 5, "2": 1, "3": 1}
    assert "".join(picks) == "1121311"  # nginx's smooth weighted round-robin interleaves


def test_retries_avoid_tried_targets_and_unhealthy_ones() -> None:
    targets = _targets(1, 1, 1)
    balancer = Balancer({"name": "u"}, targets)
    targets[0].health.healthy = False
    tried = [targets[1]]
    assert balancer.select(None, tried) is targets[2]
    targets[1].health.healthy = targets[2].health.healthy = False
    assert balancer.select(None, None) is None


def test_threshold_takes_the_whole_upstream_down() -> None:
    targets = _targets(1, 1, 1, 1)
    balancer = Balancer({"name": "u", "healthchecks": {"threshold": 60}}, targets)
    targets[0].health.healthy = targets[1].health.healthy = False
    assert balancer.select(None, None) is None


def test_consistent_hashing_maps_keys_stably() -> None:
    balancer = Balancer({"name": "u", "algorithm": "consistent-hashing", "slots": 1000}, _targets(1, 1, 1))
    first = {key: balancer.select(key, None) for key in ("a", "b", "c", "d", "e")}
    again = {key: balancer.select(key, None) for key in ("a", "b", "c", "d", "e")}
    assert first == again


async def test_worker_cache_coalesces_loads_and_caches_misses() -> None:
    cache = WorkerCache()
    calls = 0

    async def load() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)

    results = await asyncio.gather(*(cache.get(("creds", "k"), load) for _ in range(5)))
    assert results == [None] * 5
    await cache.get(("creds", "k"), load)
    assert calls == 1
    cache.invalidate_entity("creds")
    await cache.get(("creds", "k"), load)
    assert calls == 2
