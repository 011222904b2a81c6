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


def window_starts(now: float) -> dict[str, int]:
    """Unix second at which each period's current window began."""
    second = math.floor(now)
    moment = datetime.fromtimestamp(second, UTC)
    return {
        "second": second,
        "minute": second - second % 60,
        "hour": second - second % 3600,
        "day": second - second % 86400,
        "month": int(datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp()),
        "year": int(datetime(moment.year, 1, 1, tzinfo=UTC).timestamp()),
    }
