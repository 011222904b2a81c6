"""Coalesced snapshot reloads: many change events in a burst cause one rebuild, callers can wait for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sekisho.store.base import Database

if TYPE_CHECKING:
    from sekisho.app import ProxyHandle

__all__ = ["Reloader", "poll_config_version", "watch_shared_database"]

log = logging.getLogger("sekisho.node")


class Reloader:
    """Runs `reload()` after `request()`; `request_and_wait()` returns once a reload that started after the
    request has finished (or the timeout passed). Reload failures are logged; the old snapshot stays."""

    def __init__(self, reload: Callable[[], Awaitable[None]]) -> None:
        self._reload = reload
        self._wanted = 0
        self._done = 0
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def request(self) -> int:
        self._wanted += 1
        self._wake.set()
        return self._wanted

    async def request_and_wait(self, wait_seconds: float) -> bool:
        ticket = self.request()
        try:
            async with asyncio.timeout(wait_seconds):
                async with self._changed:
                    await self._changed.wait_for(lambda: self._done >= ticket)
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            target = self._wanted
            try:
                await self._reload()
            except Exception:
                log.exception("configuration reload failed; the previous configuration stays active")
            self._done = target
            async with self._changed:
                self._changed.notify_all()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


async def poll_config_version(
    db: Database, interval: float, loaded_version: Callable[[], int], on_change: Callable[[], None]
) -> None:
    """Every `interval` seconds compare the database's configuration version with the one the snapshot was
    built from; call `on_change` when another node (or process) moved it. Runs until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            current = await db.config_version()
        except Exception as exc:
            log.error("cannot read the configuration version: %s", exc)
            continue
        if current != loaded_version():
            on_change()


async def watch_shared_database(db: Database, interval: float, proxy: ProxyHandle, reloader: Reloader) -> None:
    """Reload when another node sharing the database changed it (Kong's `db_update_frequency` polling)."""
    if db.strategy == "off":
        return

    def changed() -> None:
        proxy.invalidate("declarative")  # which entities changed is unknown here: drop the whole cache
        reloader.request()

    await poll_config_version(db, interval, lambda: proxy.loaded_version, changed)
