"""Run `sekisho idp` in a background thread (its own event loop) so sync clients (boto3, browsers) can call it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sekisho.idp.clock import Clock
from sekisho.idp.config import IdpSettings
from sekisho.idp.server import RunningIdp, running_idp
from sekisho.idp.services import Services

T = TypeVar("T")


class IdpThread:
    def __init__(self, settings: IdpSettings, clock: Clock | None = None) -> None:
        self._settings = settings
        self._clock = clock
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.running: RunningIdp | None = None
        self._thread = threading.Thread(target=self._main, name="sekisho-idp", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced to the test thread
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with running_idp(self._settings, self._clock) as running:
            self.running = running
            self._ready.set()
            await self._stop.wait()

    def start(self) -> IdpThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        assert self.running is not None, "sekisho idp did not start"
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    @property
    def url(self) -> str:
        assert self.running is not None
        return self.running.base_url

    @property
    def https_url(self) -> str | None:
        assert self.running is not None
        return self.running.https_url

    @property
    def services(self) -> Services:
        assert self.running is not None
        return self.running.services

    def call(self, fn: Callable[[Services], Awaitable[T]]) -> T:
        """Run `fn(services)` on the IdP's loop and wait for it (store inspection in tests)."""
        return asyncio.run_coroutine_threadsafe(_invoke(fn, self.services), self._loop).result(30)

    def domain_url(self, prefix: str) -> str:
        return f"{self.url}/domains/{prefix}"


async def _invoke(fn: Callable[[Services], Awaitable[T]], svc: Services) -> T:
    return await fn(svc)


@contextmanager
def idp_thread(data_dir: Path, **overrides: Any) -> Iterator[IdpThread]:
    clock = overrides.pop("clock", None)
    settings = IdpSettings(
        host="127.0.0.1", port=0, https_port=overrides.pop("https_port", -1), data_dir=data_dir, **overrides
    )
    idp = IdpThread(settings, clock).start()
    try:
        yield idp
    finally:
        idp.stop()


def cognito_client(url: str, region: str = "us-east-1") -> Any:
    import boto3

    return boto3.client(
        "cognito-idp",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
