"""The `kong` a plugin's `init_worker` receives: node, log, cache and db work; request namespaces do not
exist yet and raise when used."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

from sekisho.pdk import Cache, EntityReader
from sekisho.pdk.levels import LogLevels

__all__ = ["WorkerNode", "WorkerPDK"]


class _NoRequest:
    """Stands in for request-bound namespaces outside a request."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise RuntimeError(f"kong.{self._name}.{attribute} is not available in init_worker (no request)")


class WorkerNode:
    """kong.node outside the proxy: `cluster_secret` must be the cluster's (random only for tests)."""

    __slots__ = ("_hostname", "_id", "_secret")

    def __init__(self, node_id: str | None = None, hostname: str | None = None, cluster_secret: bytes | None = None):
        self._id = node_id or str(uuid.uuid4())
        self._hostname = hostname or socket.gethostname()
        self._secret = cluster_secret or os.urandom(32)

    def get_id(self) -> str:
        return self._id

    def get_hostname(self) -> str:
        return self._hostname

    def derive_secret(self, purpose: str) -> bytes:
        return hmac.new(self._secret, b"sekisho-derive:" + purpose.encode(), hashlib.sha256).digest()


class _WorkerLog(LogLevels):
    __slots__ = ("_logger", "_name")

    def __init__(self, plugin: str) -> None:
        self._name = plugin
        self._logger = logging.getLogger(f"sekisho.plugins.{plugin}")

    def _emit(self, level: int, parts: tuple[object, ...]) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, "[%s] %s", self._name, "".join(str(p) for p in parts))

    def serialize(self) -> dict[str, Any]:
        raise RuntimeError("kong.log.serialize is not available in init_worker (no request)")


class WorkerPDK:
    """Duck-typed `PDK` for `init_worker`."""

    def __init__(
        self, plugin: str, cache: Cache, db: Callable[[str], EntityReader], node: WorkerNode | None = None
    ) -> None:
        self.request = _NoRequest("request")
        self.response = _NoRequest("response")
        self.service = _NoRequest("service")
        self.client = _NoRequest("client")
        self.ctx = _NoRequest("ctx")
        self.router = _NoRequest("router")
        self.ip = _NoRequest("ip")
        self.log = _WorkerLog(plugin)
        self.node = node or WorkerNode()
        self.cache = cache
        self._db = db

    def db(self, entity: str) -> EntityReader:
        return self._db(entity)
