"""Fixed rate-limit windows, aligned like Kong's (UTC second, minute, hour, day, month, year)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Final

__all__ = ["EXPIRATION", "window_starts"]

# Seconds each window is counted for (Kong's expiration table: a month is 30 days, a year 365).
EXPIRATION: Final[dict[str, int]] = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "month": 2592000,
    "year": 31536000,
}


_last: tuple[int, dict[str, int]] = (-1, {})


def window_starts(now: float) -> dict[str, int]:
    """Unix second at which each period's current window began (computed once per second; do not mutate)."""
    global _last
    second = math.floor(now)
    if _last[0] == second:
        return _last[1]
    starts = _compute(second)
    _last = (second, starts)
    return starts


def _compute(second: int) -> dict[str, int]:
    moment = datetime.fromtimestamp(second, UTC)
    return {
        "second": second,
        "minute": second - second % 60,
        "hour": second - second % 3600,
        "day": second - second % 86400,
        "month": int(datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp()),
        "year": int(datetime(moment.year, 1, 1, tzinfo=UTC).timestamp()),
    }
