"""The verdict book of `openid-connect` (plugins/openid_connect/replay.py): expiry and memory bounds."""

from __future__ import annotations

import time

import pytest

from sekisho.plugins.openid_connect import replay
from sekisho.plugins.openid_connect.replay import Verdict, VerdictBook


def _verdict(valid_for: float = 60.0, header: str = "") -> Verdict:
    size = len("X-Big") + len(header) if header else 0
    return Verdict(time.time() + valid_for, None, {"id": "sub"}, None, None, None, None, None, size)


def test_a_verdict_is_served_until_it_runs_out() -> None:
    book = VerdictBook()
    assert book.empty
    book.put("k", _verdict(0.05))
    assert book.get("k") is not None and not book.empty
    time.sleep(0.06)
    assert book.get("k") is None and len(book) == 0


def test_an_expired_verdict_is_never_filed() -> None:
    book = VerdictBook()
    book.put("k", _verdict(-1.0))
    assert book.empty


def test_the_book_starts_over_when_full_by_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "_BOOK_SIZE", 3)
    book = VerdictBook()
    for key in "abc":
        book.put(key, _verdict())
    assert len(book) == 3
    book.put("d", _verdict())
    assert len(book) == 1 and book.get("d") is not None and book.get("a") is None


def test_the_book_starts_over_when_its_keys_and_headers_pass_the_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "_BOOK_BYTES", 10_000)
    book = VerdictBook()
    book.put("s" + "c" * 3000, _verdict(header="v" * 1000))
    book.put("s" + "d" * 3000, _verdict(header="v" * 1000))
    assert len(book) == 2
    book.put("s" + "e" * 3000, _verdict(header="v" * 1000))  # 12 KB in all: over the budget
    assert len(book) == 1 and book.get("s" + "e" * 3000) is not None
