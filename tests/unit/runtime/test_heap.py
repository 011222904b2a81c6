from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from sekisho.runtime.heap import HeapSettler, settle_heap, tune_collector


@pytest.fixture(autouse=True)
def restore_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_tune_collector_raises_only_the_young_threshold() -> None:
    gc.set_threshold(700, 11, 12)
    tune_collector(5000)
    assert gc.get_threshold() == (5000, 11, 12)


def test_settle_heap_freezes_survivors_and_frees_cycles_that_were_frozen() -> None:
    gc.unfreeze()
    alive = _Cycle()
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert not any(obj is alive for obj in gc.get_objects())  # frozen: out of the collector's view
    garbage = _Cycle()
    settle_heap()  # `garbage` is frozen now
    gone = weakref.ref(garbage)
    del garbage  # only its own cycle keeps it alive: the next settle must still collect it
    assert gone() is not None
    settle_heap()
    assert gone() is None
    assert alive.me is alive


async def test_settler_settles_once_per_burst_of_swaps() -> None:
    gc.unfreeze()
    settler = HeapSettler(asyncio.get_running_loop(), delay=0.01)
    settler.snapshot_installed(object())
    settler.snapshot_installed(object())
    assert gc.get_freeze_count() == 0
    for _ in range(100):
        await asyncio.sleep(0.01)
        if gc.get_freeze_count():
            break
    assert gc.get_freeze_count() > 0


async def test_settler_cancel_drops_the_pending_settle() -> None:
    gc.unfreeze()
    settler = HeapSettler(asyncio.get_running_loop(), delay=0.01)
    settler.snapshot_installed(object())
    settler.cancel()
    await asyncio.sleep(0.05)
    assert gc.get_freeze_count() == 0
