"""Garbage-collector policy for proxy workers.

A worker's heap is dominated by its configuration snapshot (10,000 routes are a few hundred thousand objects)
that lives until the next reload. CPython's cyclic collector would walk all of it on every full collection, a
pause of tens of milliseconds in the middle of requests. After each snapshot swap the worker collects once,
then freezes what survived (`gc.freeze()`: ignored by later collections, still freed by reference counting),
and hands freed memory back to the OS. Requests allocate short-lived containers, so the young generation may
grow larger before it is collected.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["HeapSettler", "settle_heap", "tune_collector"]

logger = logging.getLogger("sekisho.runtime")

YOUNG_GENERATION_THRESHOLD = 7000  # CPython's default is 700


def tune_collector(young: int = YOUNG_GENERATION_THRESHOLD) -> None:
    """Collect the youngest generation less often (the older thresholds stay CPython's)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)


def _load_malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim: Any = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


_malloc_trim = _load_malloc_trim()


def settle_heap() -> None:
    """Collect everything (the previous snapshot included), freeze the survivors, return free pages."""
    gc.unfreeze()  # the previous snapshot was frozen: let this collection see (and free) its cycles
    gc.collect()
    gc.freeze()
    if _malloc_trim is not None:
        _malloc_trim(0)


class HeapSettler:
    """Settles the heap shortly after each snapshot swap, once per burst of swaps.

    Register `settler.snapshot_installed` with `Runtime.subscribe`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float = 0.5) -> None:
        self._loop = loop
        self._delay = delay
        self._pending: asyncio.TimerHandle | None = None

    def snapshot_installed(self, _snapshot: object) -> None:
        if self._pending is None:
            self._pending = self._loop.call_later(self._delay, self._settle)

    def _settle(self) -> None:
        self._pending = None
        try:
            settle_heap()
        except Exception:  # never let housekeeping take the worker down
            logger.exception("settling the heap after a reload failed")

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
