"""`file-log`: append one JSON line per request (Kong's log serializer, secrets redacted) to a file."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.file_log.redact import redact_serialized
from sekisho.plugins.file_log.schema import CONFIG

__all__ = ["FileLogConf", "Handler"]

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
_MODE = 0o644


@dataclass(frozen=True, slots=True)
class FileLogConf:
    path: str
    reopen: bool


class Handler(Plugin[FileLogConf]):
    NAME = "file-log"
    PRIORITY = 9
    VERSION = "3.4.0"
    CONFIG = CONFIG

    def __init__(self) -> None:
        self._descriptors: dict[str, int] = {}

    def prepare(self, config: Mapping[str, Any]) -> FileLogConf:
        return FileLogConf(path=config["path"], reopen=bool(config["reopen"]))

    async def log(self, kong: PDK, conf: FileLogConf) -> None:
        message = redact_serialized(kong.log.serialize())
        correlation_id = kong.ctx.shared.get("correlation_id")
        if isinstance(correlation_id, str):
            message.setdefault("correlation_id", correlation_id)  # Kong: correlation-id's serialize value
        line = (json.dumps(message, separators=(",", ":"), default=str) + "\n").encode()
        self.write(conf, line, kong)

    def write(self, conf: FileLogConf, line: bytes, kong: PDK | None = None) -> None:
        """Append one line; O_APPEND keeps lines from several workers whole."""
        fd = self._descriptors.get(conf.path)
        if fd is not None and conf.reopen:
            os.close(fd)
            del self._descriptors[conf.path]
            fd = None
        if fd is None:
            try:
                fd = os.open(conf.path, _FLAGS, _MODE)
            except OSError as exc:
                if kong is not None:
                    kong.log.err("failed to open the file: ", exc.strerror)
                return
            self._descriptors[conf.path] = fd
        try:
            os.write(fd, line)
        except OSError as exc:
            # A rotated-away or broken descriptor: forget it so the next request reopens the file.
            self._descriptors.pop(conf.path, None)
            os.close(fd)
            if kong is not None:
                kong.log.err("failed to write to the file: ", exc.strerror)
