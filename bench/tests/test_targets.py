from __future__ import annotations

from bench.harness.results import Point
from bench.harness.targets import MB, evaluate


def _point(
    scenario: str, c: int, rps: float, *, p99_us: int = 1000, rss: int | None = None, problems: tuple[str, ...] = ()
) -> Point:
    return Point(scenario, c, int(rps * 5), rps, 500, p99_us, 20.0, rss, tuple(problems))


def _by_key(*points: Point) -> dict[tuple[str, int], Point]:
    return {(p.scenario, p.connections): p for p in points}


def test_ratio_target_met_and_missed() -> None:
    met = evaluate(_by_key(_point("nginx-proxy", 64, 10_000), _point("sekisho-1-route", 64, 6_000)))
    assert [(v.target.label, v.met) for v in met] == [(">= 0.6 x nginx-proxy", True)]
    missed = evaluate(_by_key(_point("nginx-proxy", 64, 10_000), _point("sekisho-1-route", 64, 5_999)))
    assert missed[0].met is False and missed[0].detail == "0.60 x nginx-proxy"


def test_missing_baseline_is_unknown_not_met() -> None:
    (verdict,) = evaluate(_by_key(_point("sekisho-1-route", 64, 6_000)))
    assert verdict.met is None


def test_invalid_run_never_meets_a_target() -> None:
    points = _by_key(_point("nginx-proxy", 64, 1), _point("sekisho-1-route", 64, 9e9, problems=("5 non-2xx",)))
    (verdict,) = evaluate(points)
    assert verdict.met is False and "invalid" in verdict.detail


def test_latency_and_memory_bounds() -> None:
    points = _by_key(
        _point("sekisho-10k-routes", 16, 1, p99_us=2001),
        _point("sekisho-10k-routes", 64, 1, rss=100 * MB),
    )
    verdicts = {v.target.label: v.met for v in evaluate(points)}
    assert verdicts == {"p99 <= 2 ms": False, "RSS/worker <= 100 MB": True, ">= 0.9 x sekisho-1-route": None}
