"""Node-wide counters in a shared memory-mapped table, across real processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from sekisho.plugins.rate_limiting.shared import SharedCounters, default_path


def test_counts_expire_with_their_window(tmp_path: Path) -> None:
    counters = SharedCounters(tmp_path / "t.bin")
    try:
        assert counters.usage(["a", "b"], now=10) == [0, 0]
        assert counters.increment([("a", 100), ("b", 100)], now=10) == [1, 1]
        assert counters.increment([("a", 100)], now=20) == [2]
        assert counters.usage(["a", "b"], now=99) == [2, 1]
        assert counters.usage(["a"], now=100) == [0]
        assert counters.increment([("a", 200)], now=150) == [1]
    finally:
        counters.close()


def test_a_second_opener_sees_the_same_counts(tmp_path: Path) -> None:
    first = SharedCounters(tmp_path / "t.bin")
    second = SharedCounters(tmp_path / "t.bin")
    try:
        first.increment([("k", 100)], now=1)
        assert second.increment([("k", 100)], now=2) == [2]
        assert first.usage(["k"], now=3) == [2]
    finally:
        first.close()
        second.close()


def test_a_full_table_reuses_the_slot_ending_soonest(tmp_path: Path) -> None:
    counters = SharedCounters(tmp_path / "t.bin", slots=4)
    try:
        for i in range(4):
            counters.increment([(f"k{i}", 1000 + i)], now=1)
        counters.increment([("newcomer", 5000)], now=2)
        assert counters.usage(["newcomer"], now=3) == [1]
        assert counters.usage(["k0", "k1", "k2", "k3"], now=3) == [0, 1, 1, 1]
    finally:
        counters.close()


def _hammer(path: str, rounds: int) -> None:
    counters = SharedCounters(Path(path))
    try:
        for _ in range(rounds):
            counters.increment([("shared", 10**10)], now=1)
    finally:
        counters.close()


def test_concurrent_processes_lose_no_increment(tmp_path: Path) -> None:
    path = str(tmp_path / "t.bin")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_hammer, args=(path, 400)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    counters = SharedCounters(Path(path))
    try:
        assert counters.usage(["shared"], now=2) == [1200]
    finally:
        counters.close()


def test_default_path_is_per_node() -> None:
    assert default_path("node-a") != default_path("node-b")
    assert default_path("../../etc/x").name == "sekisho-rate-limiting-etcx.bin"


def test_consume_counts_only_while_under_every_limit(tmp_path: Path) -> None:
    counters = SharedCounters(tmp_path / "t.bin")
    try:
        windows = [("sec", 100.0), ("hour", 1000.0)]
        assert counters.consume(windows, [2, 10], now=1) == [0, 0]
        assert counters.consume(windows, [2, 10], now=1) == [1, 1]
        assert counters.consume(windows, [2, 10], now=1) == [2, 2]  # refused: nothing counted
        assert counters.usage(["sec", "hour"], now=1) == [2, 2]
    finally:
        counters.close()


def test_planted_or_shared_files_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    planted = tmp_path / "planted.bin"
    planted.symlink_to(target)
    with pytest.raises(OSError):
        SharedCounters(planted)
    assert target.read_bytes() == b"precious"
    loose = tmp_path / "loose.bin"
    loose.touch(mode=0o666)
    loose.chmod(0o666)
    with pytest.raises(PermissionError):
        SharedCounters(loose)
