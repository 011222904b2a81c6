"""Upstream failures map to Kong's 502/503/504 bodies; retries move to other targets; content negotiation."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest

from sekisho.proxy import ProxySettings
from tests.helpers.certs import issue_certificate, self_signed
from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.proxy_harness import ProxyHarness


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


async def test_connection_refused_gives_502_after_the_configured_retries() -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{_closed_port()}", retries=2)
        h.route(service, paths=["/"])
        await h.start()
        response = await h.client.get("/", headers={"Accept": "application/json"})
        assert response.status_code == 502
        assert response.json() == {"message": "An invalid response was received from the upstream server"}


async def test_slow_upstream_gives_504_after_read_timeout(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}", read_timeout=200, retries=0)
        h.route(service, paths=["/"])
        await h.start()
        response = await h.client.get("/delay/3", headers={"Accept": "application/json"})
        assert response.status_code == 504
        assert response.json() == {"message": "The upstream server is timing out"}
        # the proxy keeps serving on the same client connection
        assert (await h.client.get("/after")).status_code == 200


@pytest.mark.parametrize(
    ("accept", "content_type", "expected"),
    [
        ("application/json", "application/json", b'{"message": "no Route matched with those values"}'),
        ("text/html", "text/html", b"<p>no Route matched with those values.</p>"),
        ("application/xml", "application/xml", b"<message>no Route matched with those values</message>"),
        ("text/plain", "text/plain", b"no Route matched with those values\n"),
        (None, "application/json", b'{"message": "no Route matched with those values"}'),
    ],
)
async def test_generated_errors_follow_the_accept_header(
    echo: EchoUpstream, accept: str | None, content_type: str, expected: bytes
) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/api"])
        await h.start()
        headers = {"Accept": accept} if accept else {}
        response = await h.client.get("/nope", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith(content_type)
        assert expected in response.content


async def test_nginx_level_errors_default_to_error_default_type() -> None:
    settings = ProxySettings(error_default_type="text/html")
    async with ProxyHarness(settings=settings) as h:
        service = h.service(f"http://127.0.0.1:{_closed_port()}", retries=0)
        h.route(service, paths=["/"])
        await h.start()
        response = await h.client.get("/", headers={"Accept": ""})
        assert response.status_code == 502
        assert response.headers["content-type"].startswith("text/html")
        assert b"An invalid response was received from the upstream server." in response.content


async def test_route_without_service_gives_503(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        h.route(None, paths=["/lonely"])
        await h.start()
        response = await h.client.get("/lonely")
        assert response.status_code == 503
        assert response.json() == {"message": "no Service found with those values"}


async def test_https_only_route_over_http_gets_426_or_the_configured_redirect(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/secure"], protocols=["https"])
        h.route(service, paths=["/moved"], protocols=["https"], https_redirect_status_code=301)
        await h.start()
        response = await h.client.get("/secure")
        assert response.status_code == 426
        assert response.json() == {"message": "Please use HTTPS protocol"}
        assert response.headers["upgrade"] == "TLS/1.2, HTTP/1.1"
        moved = await h.client.get("/moved/x?q=1", headers={"Host": "example.test"})
        assert moved.status_code == 301
        assert moved.headers["location"] == "https://example.test/moved/x?q=1"


async def test_kong_debug_header_names_route_and_service(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}", name="echo-service")
        route = h.route(service, paths=["/"], name="echo-route")
        await h.start()
        response = await h.client.get("/", headers={"Kong-Debug": "1"})
        assert response.headers["kong-route-id"] == route["id"]
        assert response.headers["kong-route-name"] == "echo-route"
        assert response.headers["kong-service-id"] == service["id"]
        assert response.headers["kong-service-name"] == "echo-service"
        plain = await h.client.get("/")
        assert "kong-route-id" not in plain.headers


async def test_headers_off_removes_via_server_and_latency_headers(echo: EchoUpstream) -> None:
    async with ProxyHarness(settings=ProxySettings(headers=())) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/api"])
        await h.start()
        proxied = await h.client.get("/api")
        assert "via" not in proxied.headers
        assert "x-kong-upstream-latency" not in proxied.headers
        generated = await h.client.get("/other")
        assert "server" not in generated.headers
        assert "x-kong-response-latency" not in generated.headers


async def _serve_forever(handler: Any) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


async def test_a_garbage_answer_gives_502() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        await writer.drain()
        writer.close()

    server, port = await _serve_forever(garbage)
    try:
        async with ProxyHarness() as h:
            service = h.service(f"http://127.0.0.1:{port}", retries=0)
            h.route(service, paths=["/"])
            await h.start()
            response = await h.client.get("/", headers={"Accept": "application/json"})
            assert response.status_code == 502
    finally:
        server.close()


async def test_an_upstream_that_stops_reading_the_body_gives_504_after_write_timeout() -> None:
    stalled: list[asyncio.StreamWriter] = []

    async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stalled.append(writer)
        await asyncio.sleep(30)

    server, port = await _serve_forever(never_reads)
    try:
        async with ProxyHarness() as h:
            service = h.service(f"http://127.0.0.1:{port}", retries=0, write_timeout=300, read_timeout=60000)
            h.route(service, paths=["/"])
            await h.start()
            total = 64 * 1024 * 1024
            reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
            writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % total)

            async def send_body() -> None:
                block = b"z" * (1024 * 1024)
                with contextlib.suppress(ConnectionError):
                    for _ in range(64):
                        writer.write(block)
                        await writer.drain()

            sender = asyncio.create_task(send_body())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
            assert head.startswith(b"HTTP/1.1 504")
            sender.cancel()
            writer.close()
    finally:
        for stalled_writer in stalled:
            stalled_writer.close()
        server.close()


async def test_https_services_are_reached_over_tls(tmp_path: Path) -> None:
    self_signed("upstream.example", tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "upstream.example.crt", tmp_path / "upstream.example.key")

    async def tls_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        body = b"tls:" + head.split(b"\r\n", 1)[0]
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(tls_echo, "127.0.0.1", 0, ssl=context)
    port = int(server.sockets[0].getsockname()[1])
    try:
        async with ProxyHarness() as h:
            service = h.service(f"https://127.0.0.1:{port}/base")
            h.route(service, paths=["/"])
            await h.start()
            response = await h.client.get("/x")
            assert response.status_code == 200
            assert response.content == b"tls:GET /base/x HTTP/1.1"
    finally:
        server.close()


async def test_unresolvable_service_host_gives_503_name_resolution_failed() -> None:
    async with ProxyHarness() as h:
        service = h.service("http://does-not-exist.invalid:80", retries=0)
        h.route(service, paths=["/"])
        await h.start()
        response = await h.client.get("/", headers={"Accept": "application/json"})
        assert response.status_code == 503
        assert response.json() == {"message": "name resolution failed"}


async def test_grpc_routes_answer_415_to_non_grpc_and_426_to_grpc_over_http1(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"grpc://127.0.0.1:{echo.port}")
        h.route(service, paths=["/pkg.Service"], protocols=["grpc"], strip_path=False)
        await h.start()
        plain = await h.client.post("/pkg.Service/Call")
        assert plain.status_code == 415
        assert plain.json() == {"message": "Non-gRPC request matched gRPC route"}
        grpc = await h.client.post("/pkg.Service/Call", headers={"Content-Type": "application/grpc"})
        assert grpc.status_code == 426
        assert grpc.json() == {"message": "Please use HTTP2 protocol"}


def _ca_and_leaf(tmp_path: Path, name: str) -> tuple[str, Path, Path]:
    """A CA (PEM) and a leaf certificate for `name` (files) it signed."""
    import ipaddress

    from cryptography import x509

    ca = issue_certificate("test ca", ca=True)
    leaf = issue_certificate(name, issuer=ca, alt_names=[x509.IPAddress(ipaddress.ip_address(name))])
    cert_path, key_path = tmp_path / "leaf.crt", tmp_path / "leaf.key"
    cert_path.write_text(leaf.cert_pem)
    key_path.write_text(leaf.key_pem)
    return ca.cert_pem, cert_path, key_path


async def _tls_upstream(context: ssl.SSLContext) -> tuple[asyncio.Server, int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await reader.readuntil(b"\r\n\r\n")
            peer = writer.get_extra_info("peercert")
            body = b"client-cert" if peer else b"no-client-cert"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    return server, int(server.sockets[0].getsockname()[1])


async def test_tls_verify_uses_the_services_ca_certificates(tmp_path: Path) -> None:
    ca_pem, cert_path, key_path = _ca_and_leaf(tmp_path, "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server, port = await _tls_upstream(context)
    try:
        async with ProxyHarness() as h:
            ca = h.add("ca_certificates", {"cert": ca_pem})
            trusted = h.service(f"https://127.0.0.1:{port}", tls_verify=True, ca_certificates=[ca["id"]], retries=0)
            h.route(trusted, paths=["/trusted"])
            system = h.service(f"https://127.0.0.1:{port}", tls_verify=True, retries=0)
            h.route(system, paths=["/system"])
            await h.start()
            assert (await h.client.get("/trusted")).content == b"no-client-cert"
            assert (await h.client.get("/system")).status_code == 502  # not signed by a system CA
    finally:
        server.close()


async def test_client_certificate_is_presented_to_the_upstream(tmp_path: Path) -> None:
    _, cert_path, key_path = _ca_and_leaf(tmp_path, "127.0.0.1")
    client_cert, client_key = self_signed("gateway.client")
    (tmp_path / "client-ca.pem").write_text(client_cert)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(tmp_path / "client-ca.pem")
    server, port = await _tls_upstream(context)
    try:
        async with ProxyHarness() as h:
            certificate = h.add("certificates", {"cert": client_cert, "key": client_key})
            with_cert = h.service(f"https://127.0.0.1:{port}", client_certificate={"id": certificate["id"]}, retries=0)
            h.route(with_cert, paths=["/mtls"])
            without = h.service(f"https://127.0.0.1:{port}", retries=0)
            h.route(without, paths=["/plain"])
            await h.start()
            assert (await h.client.get("/mtls")).content == b"client-cert"
            assert (await h.client.get("/plain")).status_code == 502
    finally:
        server.close()


async def test_an_early_upstream_answer_does_not_reuse_a_half_sent_connection() -> None:
    connections = 0
    writers: list[asyncio.StreamWriter] = []

    async def early(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writers.append(writer)
        with contextlib.suppress(Exception):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                status = b"413" if head.startswith(b"POST") else b"200"
                writer.write(b"HTTP/1.1 %b X\r\nContent-Length: 2\r\n\r\nok" % status)
                await writer.drain()
                if head.startswith(b"POST"):
                    await reader.read(65536)  # some of the body, never all of it

    server, port = await _serve_forever(early)
    try:
        async with ProxyHarness() as h:
            service = h.service(f"http://127.0.0.1:{port}")
            h.route(service, paths=["/"])
            await h.start()
            reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
            writer.write(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 1000)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 413")
            writer.close()
            response = await h.client.get("/next")
            assert response.status_code == 200
            assert connections == 2  # the half-sent upstream connection was not pooled
    finally:
        for stalled in writers:
            stalled.close()
        server.close()
