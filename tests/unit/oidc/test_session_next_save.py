"""`SessionManager.next_save_at`: when an unchanged session must next be written back (a quarter of the
shortest of its rolling and idle spans, at most a minute, after it was last saved), or when it runs out
(rolling expiry, absolute timeout) if that comes first. Driven by the manager's `clock`."""

from __future__ import annotations

import pytest

from sekisho.oidc.session import CookieCodec, Session, SessionManager, SessionOptions


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def manager(clock: Clock, **options: float | None) -> SessionManager:
    return SessionManager(CookieCodec(b"a-test-secret-of-32-bytes-length"), SessionOptions(**options), clock=clock)


def session(*, created_at: float, last_seen: float, rolling_expires: float) -> Session:
    return Session("id", {"k": "v"}, created_at, rolling_expires, last_seen)


@pytest.mark.parametrize(
    ("options", "after"),
    [
        ({"rolling_timeout": 3600, "idling_timeout": None, "absolute_timeout": None}, 60.0),  # capped at a minute
        ({"rolling_timeout": 100, "idling_timeout": None, "absolute_timeout": None}, 25.0),  # rolling / 4
        ({"rolling_timeout": 3600, "idling_timeout": 40, "absolute_timeout": None}, 10.0),  # idle / 4
        ({"rolling_timeout": 80, "idling_timeout": 200, "absolute_timeout": None}, 20.0),  # the shorter span
        ({"rolling_timeout": 3600, "idling_timeout": 900, "absolute_timeout": 86400}, 60.0),  # the defaults
    ],
)
def test_a_quarter_of_the_shortest_span_at_most_a_minute_after_last_seen(
    options: dict[str, float | None], after: float
) -> None:
    clock = Clock(1000.0)
    sessions = manager(clock, **options)
    opened = session(created_at=900.0, last_seen=990.0, rolling_expires=990.0 + float(options["rolling_timeout"] or 0))
    assert sessions.next_save_at(opened) == 990.0 + after


def test_the_rolling_expiry_when_it_comes_first() -> None:
    sessions = manager(Clock(1000.0), rolling_timeout=3600, idling_timeout=None, absolute_timeout=None)
    assert sessions.next_save_at(session(created_at=0.0, last_seen=990.0, rolling_expires=1020.0)) == 1020.0


def test_the_absolute_timeout_when_it_comes_first() -> None:
    sessions = manager(Clock(1000.0), rolling_timeout=3600, idling_timeout=None, absolute_timeout=1000)
    assert sessions.next_save_at(session(created_at=10.0, last_seen=990.0, rolling_expires=4590.0)) == 1010.0
    # without an absolute timeout the creation time plays no part
    unbounded = manager(Clock(1000.0), rolling_timeout=3600, idling_timeout=None, absolute_timeout=None)
    assert unbounded.next_save_at(session(created_at=10.0, last_seen=990.0, rolling_expires=4590.0)) == 1050.0


async def test_needs_save_turns_true_exactly_at_next_save_at() -> None:
    clock = Clock(10_000.0)
    sessions = manager(clock, rolling_timeout=3600, idling_timeout=40, absolute_timeout=None)
    fresh = sessions.new({"tokens": {}})
    cookies = dict(c.split(";", 1)[0].split("=", 1) for c in await sessions.save(fresh, secure=False))
    clock.now = 10_003.0
    opened = await sessions.open(cookies)
    assert opened is not None and opened.last_seen == 10_000.0
    due = sessions.next_save_at(opened)
    assert due == 10_010.0
    clock.now = due - 0.001
    assert not sessions.needs_save(opened)
    clock.now = due
    assert sessions.needs_save(opened)
    # saving moves the next time on by the same quarter
    await sessions.save(opened, secure=False)
    assert not sessions.needs_save(opened) and sessions.next_save_at(opened) == due + 10.0


async def test_a_session_runs_out_exactly_at_next_save_at_when_a_timeout_comes_first() -> None:
    clock = Clock(10_000.0)
    sessions = manager(clock, rolling_timeout=3600, idling_timeout=None, absolute_timeout=30)
    first = sessions.new()
    await sessions.save(first, secure=False)
    clock.now = 10_025.0  # resaved 25 s after creation: the absolute timeout is 5 s away, the quarter 60 s
    cookies = dict(c.split(";", 1)[0].split("=", 1) for c in await sessions.save(first, secure=False))
    opened = await sessions.open(cookies)
    assert opened is not None
    due = sessions.next_save_at(opened)
    assert due == 10_030.0
    clock.now = due - 0.001
    assert await sessions.open(cookies) is not None and not sessions.needs_save(opened)
    clock.now = due
    assert await sessions.open(cookies) is None  # over: nothing left to replay
