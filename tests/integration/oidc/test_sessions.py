"""Session cookies: round trips, tampering, timeouts, chunking, and server-side storage in real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie

import pytest
import redis.asyncio as redis_asyncio

from sekisho.oidc.session import CookieCodec, RedisSessionStorage, SessionManager, SessionOptions


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def jar(set_cookies: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for header in set_cookies:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] != "0":
                out[name] = morsel.value
    return out


def apply(cookies: dict[str, str], set_cookies: list[str]) -> dict[str, str]:
    """What a browser's jar holds after these Set-Cookie headers."""
    out = dict(cookies)
    for header in set_cookies:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0":
                out.pop(name, None)
            else:
                out[name] = morsel.value
    return out


def manager(clock: Clock, **options: object) -> SessionManager:
    return SessionManager(CookieCodec("s" * 32), SessionOptions(**options), clock=clock)  # type: ignore[arg-type]


async def test_round_trip_and_cookie_attributes() -> None:
    clock = Clock()
    sessions = manager(clock)
    session = sessions.new({"sub": "u1", "tokens": {"access_token": "a"}})
    headers = await sessions.save(session, secure=True)
    assert len(headers) == 1
    assert "HttpOnly" in headers[0] and "Secure" in headers[0] and "SameSite=Lax" in headers[0]
    opened = await sessions.open(jar(headers))
    assert opened is not None and opened.data["sub"] == "u1" and opened.id == session.id


@pytest.mark.parametrize("mangle", ["flip", "truncate", "garbage", "count", "empty"])
async def test_tampered_cookies_are_no_session(mangle: str) -> None:
    clock = Clock()
    sessions = manager(clock)
    cookies = jar(await sessions.save(sessions.new({"sub": "u1"}), secure=False))
    value = cookies["session"]
    cookies["session"] = {
        "flip": value[:-3] + ("A" if value[-3] != "A" else "B") + value[-2:],
        "truncate": value[: len(value) // 2],
        "garbage": "1:%%%not-base64%%%",
        "count": "99:" + value.partition(":")[2],
        "empty": "",
    }[mangle]
    assert await sessions.open(cookies) is None


async def test_a_cookie_sealed_with_another_secret_or_name_is_no_session() -> None:
    clock = Clock()
    cookies = jar(await manager(clock).save(manager(clock).new({"a": 1}), secure=False))
    other = SessionManager(CookieCodec("t" * 32), SessionOptions(), clock=clock)
    assert await other.open(cookies) is None
    renamed = SessionManager(CookieCodec("s" * 32), SessionOptions(cookie_name="other"), clock=clock)
    assert await renamed.open({"other": cookies["session"]}) is None


async def test_rolling_idle_and_absolute_timeouts() -> None:
    clock = Clock()
    sessions = manager(clock, rolling_timeout=3600, idling_timeout=900, absolute_timeout=7200)
    session = sessions.new({"a": 1})
    cookies = jar(await sessions.save(session, secure=False))
    clock.now += 901
    assert await sessions.open(cookies) is None  # idle too long
    clock.now -= 901
    for _ in range(7):  # keep it alive every 15 minutes minus a second...
        clock.now += 899
        opened = await sessions.open(cookies)
        assert opened is not None
        cookies = jar(await sessions.save(opened, secure=False))
    clock.now += 899
    opened = await sessions.open(cookies)
    assert opened is not None
    cookies = jar(await sessions.save(opened, secure=False))
    clock.now += 899  # ... until the absolute timeout of two hours ends it
    assert await sessions.open(cookies) is None


async def test_large_sessions_are_chunked_and_shrinking_clears_old_chunks() -> None:
    clock = Clock()
    sessions = manager(clock, max_chunk_size=1000)
    big = sessions.new({"blob": "x" * 5000})
    headers = await sessions.save(big, secure=False)
    cookies = jar(headers)
    assert set(cookies) >= {"session", "session_2", "session_5"}
    opened = await sessions.open(cookies)
    assert opened is not None and opened.data["blob"] == "x" * 5000
    opened.data = {"small": True}
    headers = await sessions.save(opened, secure=False, cookies=cookies)
    assert any(h.startswith("session_5=;") and "Max-Age=0" in h for h in headers)
    cookies = apply(cookies, headers)
    assert set(cookies) == {"session"}
    reopened = await sessions.open(cookies)
    assert reopened is not None and reopened.data == {"small": True}


async def test_missing_chunk_is_no_session() -> None:
    clock = Clock()
    sessions = manager(clock, max_chunk_size=500)
    cookies = jar(await sessions.save(sessions.new({"blob": "y" * 3000}), secure=False))
    del cookies["session_2"]
    assert await sessions.open(cookies) is None


async def test_destroy_expires_every_chunk() -> None:
    clock = Clock()
    sessions = manager(clock, max_chunk_size=500)
    cookies = jar(await sessions.save(sessions.new({"blob": "y" * 3000}), secure=False))
    headers = await sessions.destroy(None, cookies, secure=False)
    assert {h.split("=")[0] for h in headers} == set(cookies)
    assert all("Max-Age=0" in h for h in headers)


@pytest.fixture
async def redis_client() -> AsyncIterator[redis_asyncio.Redis]:
    client = redis_asyncio.Redis(host="127.0.0.1", port=6379)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        pytest.skip(f"Redis on 127.0.0.1:6379 is not reachable: {exc}")
    yield client
    await client.aclose()


@pytest.mark.redis
async def test_redis_storage_keeps_data_server_side_and_revokes(redis_client: redis_asyncio.Redis) -> None:
    clock = Clock()
    prefix = f"sekisho-test-{uuid.uuid4().hex}"
    storage = RedisSessionStorage(redis_client, prefix=prefix)
    sessions = SessionManager(CookieCodec("s" * 32), SessionOptions(), storage, clock=clock)
    session = sessions.new({"tokens": {"id_token": "z" * 20000}})
    cookies = jar(await sessions.save(session, secure=False))
    assert len(cookies["session"]) < 400  # only the sealed id travels
    assert await redis_client.ttl(f"{prefix}:{session.id}") > 0
    opened = await sessions.open(cookies)
    assert opened is not None and opened.data["tokens"]["id_token"] == "z" * 20000
    await sessions.destroy(opened, cookies, secure=False)
    assert await redis_client.exists(f"{prefix}:{session.id}") == 0
    assert await sessions.open(cookies) is None  # the old cookie no longer opens anything
