"""A real HTTP/1.1 upstream for proxy tests, on 127.0.0.1 port 0.

Endpoints (any method):
- default: JSON echo `{"server", "method", "path", "query", "headers", "body"}` (headers lower-cased, repeated
  ones joined with ", ")
- `/status/<code>`: that status, JSON body `{"status": code}`
- `/delay/<seconds>`: waits, then echoes
- `/stream/<n>`: a chunked response of n chunks `chunk-<i>\n`
- `/bytes/<n>`: a sized body of n bytes, written in 64 KiB pieces
- `/count`: reads the request body without keeping it, answers `{"received": <bytes>}`; with `?pace=<ms>` it
  pauses that many milliseconds per MiB read, so a sender outruns it
- `/close`: a body without length, delimited by closing the connection (HTTP/1.0 style)
- `/ws`: WebSocket echo (text and binary frames)
- `/cookie/<name>=<value>`: the JSON echo with `Set-Cookie: <name>=<value>; Path=/`
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
from typing import Any

__all__ = ["EchoUpstream"]

_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class EchoUpstream:
    def __init__(self, name: str = "echo", host: str = "127.0.0.1") -> None:
        self.name = name
        self.host = host
        self.port = 0
        self.connections = 0
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopping = False
        #: When set, every request is answered with this status (to make one server look broken).
        self.status_override: int | None = None

    async def start(self, port: int = 0) -> EchoUpstream:
        self._server = await asyncio.start_server(self._serve, self.host, port, limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._stopping = True
            self._server.close()
            for _ in range(3):  # connections accepted just before close reach _serve a tick later
                for writer in list(self._writers):
                    writer.close()
                await asyncio.sleep(0.01)
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> EchoUpstream:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping:
            writer.close()
            return
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                keep = await self._handle(head, reader, writer)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_body(
        self, reader: asyncio.StreamReader, headers: dict[str, str], keep: bool, pace: float = 0.0
    ) -> bytes | int:
        """The body (or only its size when `keep` is False)."""
        chunks: list[bytes] = []
        size = 0
        next_pause = 1 << 20

        async def consume(remaining: int) -> None:
            """Read `remaining` bytes, pausing `pace` ms after each MiB."""
            nonlocal size, next_pause
            while remaining:
                piece = await reader.read(min(remaining, 1 << 20))
                if not piece:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(piece)
                size += len(piece)
                if keep:
                    chunks.append(piece)
                if pace and size >= next_pause:
                    next_pause += 1 << 20
                    await asyncio.sleep(pace / 1000)

        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                line = await reader.readuntil(b"\r\n")
                length = int(line.split(b";")[0].strip(), 16)
                if length == 0:
                    await reader.readuntil(b"\r\n")
                    break
                await consume(length)
                await reader.readexactly(2)
        else:
            await consume(int(headers.get("content-length", "0") or 0))
        return b"".join(chunks) if keep else size

    async def _handle(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        self.requests += 1
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        path, _, query = target.partition("?")
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        if self.status_override is not None:
            await self._read_body(reader, headers, keep=False)
            status = self.status_override
            return await self._send_json(writer, status, {"status": status, "server": self.name}, keep_alive)
        if path == "/ws" and headers.get("upgrade", "").lower() == "websocket":
            await self._websocket(headers, reader, writer)
            return False
        if path == "/count":
            pace = float(query.partition("pace=")[2] or 0)
            received = await self._read_body(reader, headers, keep=False, pace=pace)
            return await self._send_json(writer, 200, {"received": received}, keep_alive)
        body = await self._read_body(reader, headers, keep=True)
        assert isinstance(body, bytes)
        if path.startswith("/status/"):
            status = int(path.split("/")[2])
            return await self._send_json(writer, status, {"status": status, "server": self.name}, keep_alive)
        if path.startswith("/delay/"):
            await asyncio.sleep(float(path.split("/")[2]))
        if path.startswith("/stream/"):
            count = int(path.split("/")[2])
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n")
            for i in range(count):
                piece = f"chunk-{i}\n".encode()
                writer.write(b"%x\r\n%b\r\n" % (len(piece), piece))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return keep_alive
        if path.startswith("/bytes/"):
            total = int(path.split("/")[2])
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % total
            )
            piece = b"x" * 65536
            sent = 0
            while sent < total:
                part = piece[: min(65536, total - sent)]
                writer.write(part)
                sent += len(part)
                await writer.drain()
            return keep_alive
        if path == "/close":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
            writer.write(b"close-delimited body")
            await writer.drain()
            return False
        extra = ""
        if path.startswith("/cookie/"):
            extra = f"Set-Cookie: {path.removeprefix('/cookie/')}; Path=/\r\n"
        echo: dict[str, Any] = {
            "server": self.name,
            "method": method,
            "path": path,
            "query": query,
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
            "http_version": version,
        }
        return await self._send_json(writer, 200, echo, keep_alive, extra)

    async def _send_json(
        self, writer: asyncio.StreamWriter, status: int, payload: Any, keep_alive: bool, extra: str = ""
    ) -> bool:
        body = json.dumps(payload).encode()
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Upstream-Name: {self.name}\r\n{extra}" + ("" if keep_alive else "Connection: close\r\n") + "\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        return keep_alive

    async def _websocket(
        self, headers: dict[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        key = headers.get("sec-websocket-key", "").encode()
        accept = base64.b64encode(hashlib.sha1(key + _WS_GUID).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        await writer.drain()
        while True:
            try:
                opcode, payload = await read_ws_frame(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            if opcode == 8:
                writer.write(ws_frame(8, payload, mask=False))
                await writer.drain()
                return
            writer.write(ws_frame(opcode, payload, mask=False))
            await writer.drain()


def ws_frame(opcode: int, payload: bytes, mask: bool = True) -> bytes:
    """One final WebSocket frame (clients must mask)."""
    first = bytes([0x80 | opcode])
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = first + bytes([mask_bit | length])
    elif length < 65536:
        header = first + bytes([mask_bit | 126]) + length.to_bytes(2, "big")
    else:
        header = first + bytes([mask_bit | 127]) + length.to_bytes(8, "big")
    if not mask:
        return header + payload
    key = b"\x01\x02\x03\x04"
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


async def read_ws_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await reader.readexactly(2)
    opcode = first & 0x0F
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    key = await reader.readexactly(4) if second & 0x80 else None
    payload = await reader.readexactly(length)
    if key is not None:
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return opcode, payload
