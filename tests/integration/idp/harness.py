"""Run `sekisho idp` in a background thread (its own event loop) so sync clients (boto3, browsers) can call it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sekisho.idp.clock import Clock
from sekisho.idp.config import IdpSettings
from sekisho.idp.server import RunningIdp, running_idp
from sekisho.idp.services import Services
from tests.helpers.loop_thread import LoopThread

T = TypeVar("T")


class IdpThread(LoopThread):
    def __init__(self, settings: IdpSettings, clock: Clock | None = None) -> None:
        super().__init__("sekisho-idp")
        self._settings = settings
        self._clock = clock
        self.running: RunningIdp | None = None

    async def serve(self) -> None:
        async with running_idp(self._settings, self._clock) as running:
            self.running = running
            self.ready()
            await self.stopped()

    def start(self) -> IdpThread:
        self.start_thread()
        assert self.running is not None, "sekisho idp did not start"
        return self

    def stop(self) -> None:
        self.stop_thread()

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
        services = self.services
        return self.run(lambda: fn(services))

    def domain_url(self, prefix: str) -> str:
        return f"{self.url}/domains/{prefix}"


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
