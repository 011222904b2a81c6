"""`correlation-id`: give each request an id in a header, upstream and optionally back to the client."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.correlation_id.schema import CONFIG

__all__ = ["CorrelationIdConf", "Handler", "IdGenerators"]


@dataclass(frozen=True, slots=True)
class CorrelationIdConf:
    header_name: str
    generator: str
    echo_downstream: bool


class IdGenerators:
    """The three id generators; `uuid#counter` state is per worker process, as in Kong."""

    def __init__(self) -> None:
        self._worker_uuid = str(uuid.uuid4())
        self._counter = itertools.count(1)
        self._tracker_counter = itertools.count(1)

    def generate(self, kind: str, kong: PDK) -> str:
        return self._by_name[kind](self, kong)

    def _uuid(self, kong: PDK) -> str:
        return str(uuid.uuid4())

    def _uuid_counter(self, kong: PDK) -> str:
        return f"{self._worker_uuid}#{next(self._counter)}"

    def _tracker(self, kong: PDK) -> str:
        # Kong: server_addr-server_port-pid-connection-connection_requests-time; we have no connection serial,
        # so a per-worker request counter stands in for the last two.
        serial = next(self._tracker_counter)
        return f"{kong.request.get_host()}-{kong.request.get_port()}-{os.getpid()}-{serial}-1-{time.time():.3f}"

    _by_name: Mapping[str, Callable[[IdGenerators, PDK], str]] = {
        "uuid": _uuid,
        "uuid#counter": _uuid_counter,
        "tracker": _tracker,
    }


class Handler(Plugin[CorrelationIdConf]):
    NAME = "correlation-id"
    PRIORITY = 100001
    VERSION = "3.4.0"
    CONFIG = CONFIG

    def __init__(self) -> None:
        self._generators = IdGenerators()

    def prepare(self, config: Mapping[str, Any]) -> CorrelationIdConf:
        return CorrelationIdConf(
            header_name=config.get("header_name") or "Kong-Request-ID",
            generator=config["generator"],
            echo_downstream=bool(config["echo_downstream"]),
        )

    async def init_worker(self, kong: PDK) -> None:
        self._generators = IdGenerators()

    async def access(self, kong: PDK, conf: CorrelationIdConf) -> None:
        correlation_id = kong.request.get_header(conf.header_name)
        if not correlation_id:
            correlation_id = self._generators.generate(conf.generator, kong)
            kong.service.request.set_header(conf.header_name, correlation_id)
        kong.ctx.shared["correlation_id"] = correlation_id
        if conf.echo_downstream:
            kong.ctx.plugin["correlation_id"] = correlation_id

    def header_filter(self, kong: PDK, conf: CorrelationIdConf) -> None:
        if not conf.echo_downstream:
            return
        correlation_id = kong.ctx.plugin.get("correlation_id") or kong.request.get_header(conf.header_name)
        if not correlation_id:
            correlation_id = self._generators.generate(conf.generator, kong)
        kong.response.set_header(conf.header_name, correlation_id)
