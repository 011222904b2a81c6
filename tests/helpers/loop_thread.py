"""Servers on their own event loop in a background thread, so synchronous clients (boto3, a sync browser
driver) can call them from the test's thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """Runs `serve()` on a private loop in a daemon thread. `serve` calls `ready()` once it accepts
    requests, then `await self.stopped()`, then tears down. An error before `ready()` is raised by `start`."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    async def serve(self) -> None:
        raise NotImplementedError

    def ready(self) -> None:
        self._ready.set()

    async def stopped(self) -> None:
        assert self._stop is not None
        await self._stop.wait()

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._run())
        except BaseException as exc:  # surfaced to the test thread
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        await self.serve()

    def start_thread(self) -> None:
        """Start the thread and wait (up to 30 s) until `serve` is ready or has failed."""
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error

    def stop_thread(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn()` on the server's loop and wait (up to 30 s) for its result."""

        async def invoke() -> T:
            return await fn()

        return asyncio.run_coroutine_threadsafe(invoke(), self._loop).result(30)
