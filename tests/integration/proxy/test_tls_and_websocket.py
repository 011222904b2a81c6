"""TLS listeners with SNI-selected certificates (certificates/snis rows, default certificate fallback), and
WebSocket upgrade passthrough."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from sekisho.proxy import ProxySettings
from tests.helpers.certs import self_signed
from tests.helpers.echo_upstream import EchoUpstream, read_ws_frame, ws_frame
from tests.helpers.proxy_harness import ProxyHarness, parse_responses


def _client_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def _served_name_and_response(port: int, server_name: str, request: bytes) -> tuple[str, bytes]:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=_client_context(), server_hostname=server_name
    )
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True)
    common_name = x509.load_der_x509_certificate(der).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    writer.write(request)
    data = b""
    while not any(r.complete for r in parse_responses(data)):
        piece = await asyncio.wait_for(reader.read(65536), 5)
        if not piece:
            break
        data += piece
    writer.close()
    return str(common_name), data


async def test_sni_selects_the_certificate_and_falls_back_to_the_default(echo: EchoUpstream, tmp_path: Path) -> None:
    self_signed("default.example", tmp_path)
    settings = ProxySettings(
        default_cert_path=str(tmp_path / "default.example.crt"), default_key_path=str(tmp_path / "default.example.key")
    )
    async with ProxyHarness(settings=settings, tls=True) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"], protocols=["https"])
        api_cert, api_key = self_signed("api.example")
        certificate = h.add("certificates", {"cert": api_cert, "key": api_key})
        h.add("snis", {"name": "api.example", "certificate": {"id": certificate["id"]}})
        wild_cert, wild_key = self_signed("wild.example")
        wildcard = h.add("certificates", {"cert": wild_cert, "key": wild_key})
        h.add("snis", {"name": "*.wild.example", "certificate": {"id": wildcard["id"]}})
        await h.start()
        request = b"GET /tls HTTP/1.1\r\nHost: api.example\r\n\r\n"
        name, data = await _served_name_and_response(h.tls_port, "api.example", request)
        assert name == "api.example"
        (response,) = parse_responses(data)
        assert response.status == 200
        assert response.json()["headers"]["x-forwarded-proto"] == "https"
        name, _ = await _served_name_and_response(h.tls_port, "a.wild.example", request)
        assert name == "wild.example"
        name, _ = await _served_name_and_response(h.tls_port, "unknown.example", request)
        assert name == "default.example"


async def test_route_snis_match_on_the_handshake_name(echo: EchoUpstream, tmp_path: Path) -> None:
    self_signed("default.example", tmp_path)
    settings = ProxySettings(
        default_cert_path=str(tmp_path / "default.example.crt"), default_key_path=str(tmp_path / "default.example.key")
    )
    async with ProxyHarness(settings=settings, tls=True) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, snis=["only.example"], protocols=["https"])
        await h.start()
        request = b"GET / HTTP/1.1\r\nHost: whatever\r\nAccept: application/json\r\n\r\n"
        _, data = await _served_name_and_response(h.tls_port, "only.example", request)
        assert parse_responses(data)[0].status == 200
        _, data = await _served_name_and_response(h.tls_port, "other.example", request)
        assert parse_responses(data)[0].status == 404


async def test_websocket_upgrade_is_passed_through(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        await h.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            + ws_frame(1, b"first frame, sent with the handshake")
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101")
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
        assert b"Upgrade: websocket" in head
        assert await asyncio.wait_for(read_ws_frame(reader), 5) == (1, b"first frame, sent with the handshake")
        for payload in (b"hello", b"x" * 70000):
            writer.write(ws_frame(2, payload))
            assert await asyncio.wait_for(read_ws_frame(reader), 5) == (2, payload)
        writer.write(ws_frame(8, b"\x03\xe8"))
        assert (await asyncio.wait_for(read_ws_frame(reader), 5))[0] == 8
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
