"""Supervisor <-> worker messages: length-prefixed JSON over a socket pair per worker.

Supervisor -> worker: `{"op": "reload"}` (re-read the database), `{"op": "load", "entities": {...}}` (DB-less:
the whole configuration), `{"op": "stop", "graceful": bool, "timeout": s}`.
Worker -> supervisor: `{"op": "ready", "worker": n}`, `{"op": "reloaded", "worker": n, "version": v}`.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any, Final

__all__ = ["MAX_MESSAGE", "ControlChannel", "encode"]

MAX_MESSAGE: Final = 256 * 1024 * 1024  # a DB-less configuration travels whole
_HEADER = struct.Struct("!I")


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":"), default=str).encode()
    if len(body) > MAX_MESSAGE:
        raise ValueError(f"control message of {len(body)} bytes exceeds {MAX_MESSAGE}")
    return _HEADER.pack(len(body)) + body


class ControlChannel:
    """One end of a worker's control socket, on the running loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, sock: Any) -> ControlChannel:
        reader, writer = await asyncio.open_connection(sock=sock, limit=2**16)
        return cls(reader, writer)

    async def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        async with self._lock:
            self._writer.write(data)
            await self._writer.drain()

    async def receive(self) -> dict[str, Any] | None:
        """The next message, or None when the other side closed."""
        try:
            header = await self._reader.readexactly(_HEADER.size)
            (length,) = _HEADER.unpack(header)
            if length > MAX_MESSAGE:
                return None
            body = await self._reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        decoded = json.loads(body)
        return decoded if isinstance(decoded, dict) else None

    def close(self) -> None:
        self._writer.close()
