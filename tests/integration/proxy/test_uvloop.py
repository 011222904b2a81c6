"""The same proxy under uvloop (what the node runs): TLS with SNI, a websocket, a streamed upload."""

from __future__ import annotations

import asyncio
from pathlib import Path

import uvloop

from sekisho.proxy import ProxySettings
from tests.helpers.certs import self_signed
from tests.helpers.echo_upstream import EchoUpstream, read_ws_frame, ws_frame
from tests.helpers.proxy_harness import ProxyHarness
from tests.integration.proxy.test_tls_and_websocket import _served_name_and_response


def test_tls_websocket_and_upload_under_uvloop(tmp_path: Path) -> None:
    uvloop.run(_scenario(tmp_path))


async def _scenario(tmp_path: Path) -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
    echo = await EchoUpstream().start()
    self_signed("default.example", tmp_path)
    settings = ProxySettings(
        default_cert_path=str(tmp_path / "default.example.crt"), default_key_path=str(tmp_path / "default.example.key")
    )
    try:
        async with ProxyHarness(settings=settings, tls=True) as h:
            service = h.service(f"http://127.0.0.1:{echo.port}")
            h.route(service, paths=["/"])
            cert, key = self_signed("api.example")
            certificate = h.add("certificates", {"cert": cert, "key": key})
            h.add("snis", {"name": "api.example", "certificate": {"id": certificate["id"]}})
            await h.start()
            name, data = await _served_name_and_response(
                h.tls_port, "api.example", b"GET / HTTP/1.1\r\nHost: api.example\r\n\r\n"
            )
            assert name == "api.example"
            assert data.startswith(b"HTTP/1.1 200")
            reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
            writer.write(
                b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(b"HTTP/1.1 101")
            writer.write(ws_frame(1, b"under uvloop"))
            assert await asyncio.wait_for(read_ws_frame(reader), 5) == (1, b"under uvloop")
            writer.close()
            total = 32 * 1024 * 1024
            response = await h.client.post(
                "/count?pace=1", content=b"u" * total, headers={"Content-Length": str(total)}
            )
            assert response.json() == {"received": total}
    finally:
        await echo.stop()
