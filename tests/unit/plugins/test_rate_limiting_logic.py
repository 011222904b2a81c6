"""Rate-limit windows, local counters and Kong's client headers."""

from __future__ import annotations

from datetime import UTC, datetime

from sekisho.plugins.rate_limiting.counters import LocalCounters
from sekisho.plugins.rate_limiting.handler import Usage, client_headers
from sekisho.plugins.rate_limiting.windows import window_starts

NOW = datetime(2026, 3, 15, 10, 42, 17, 500000, tzinfo=UTC).timestamp()


def test_windows_align_to_utc_calendar() -> None:
    starts = window_starts(NOW)
    as_dt = {k: datetime.fromtimestamp(v, UTC) for k, v in starts.items()}
    assert as_dt["second"] == datetime(2026, 3, 15, 10, 42, 17, tzinfo=UTC)
    assert as_dt["minute"] == datetime(2026, 3, 15, 10, 42, tzinfo=UTC)
    assert as_dt["hour"] == datetime(2026, 3, 15, 10, tzinfo=UTC)
    assert as_dt["day"] == datetime(2026, 3, 15, tzinfo=UTC)
    assert as_dt["month"] == datetime(2026, 3, 1, tzinfo=UTC)
    assert as_dt["year"] == datetime(2026, 1, 1, tzinfo=UTC)


def test_counters_count_until_their_window_expires() -> None:
    counters = LocalCounters()
    assert counters.increment("k", expires_at=100.0, now=50.0) == 1
    assert counters.increment("k", expires_at=100.0, now=60.0) == 2
    assert counters.usage("k", now=99.9) == 2
    assert counters.usage("k", now=100.0) == 0
    assert counters.increment("k", expires_at=200.0, now=150.0) == 1


def test_counters_stay_bounded() -> None:
    counters = LocalCounters(max_keys=100)
    for i in range(1000):
        counters.increment(f"k{i}", expires_at=10_000.0, now=1.0)
    assert len(counters) <= 100
    assert counters.usage("k999", now=2.0) == 1


def test_headers_report_each_period_and_the_tightest_window() -> None:
    usages = [Usage("second", 5, 4), Usage("minute", 10, 2)]
    headers, reset = client_headers(usages, None, NOW)
    assert headers["X-RateLimit-Limit-Second"] == "5" and headers["X-RateLimit-Remaining-Second"] == "3"
    assert headers["X-RateLimit-Limit-Minute"] == "10" and headers["X-RateLimit-Remaining-Minute"] == "1"
    assert headers["RateLimit-Limit"] == "10" and headers["RateLimit-Remaining"] == "1"
    assert reset == 60 - 17 and headers["RateLimit-Reset"] == str(reset)


def test_headers_when_refused_only_the_exceeded_period_is_decremented() -> None:
    usages = [Usage("second", 5, 3), Usage("minute", 10, 0)]
    headers, _ = client_headers(usages, "minute", NOW)
    assert headers["X-RateLimit-Remaining-Second"] == "3"
    assert headers["X-RateLimit-Remaining-Minute"] == "0"
