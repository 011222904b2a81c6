"""HTTP/1.1 at the byte level: malformed input, limits, pipelining, keep-alive, chunking, Expect."""

from __future__ import annotations

import asyncio
import json

import pytest

from sekisho.proxy import ProxySettings
from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.proxy_harness import ProxyHarness, parse_responses, raw_request


async def _harness(echo: EchoUpstream, settings: ProxySettings | None = None) -> ProxyHarness:
    h = ProxyHarness(settings=settings)
    service = h.service(f"http://127.0.0.1:{echo.port}")
    h.route(service, paths=["/"])
    await h.start()
    return h


async def test_garbage_gets_400_and_the_connection_closes(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        data, closed = await raw_request(h.port, b"NOT HTTP AT ALL\r\n\r\n", until_close=True)
        (response,) = parse_responses(data)
        assert response.status == 400
        assert response.body == b"Bad request\n"
        assert closed
        assert echo.requests == 0
    finally:
        await h.stop()


async def test_too_long_request_line_gets_414(echo: EchoUpstream) -> None:
    h = await _harness(echo, ProxySettings(max_request_line_size=1024))
    try:
        request = b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        data, closed = await raw_request(h.port, request, until_close=True)
        (response,) = parse_responses(data)
        assert response.status == 414
        assert closed
    finally:
        await h.stop()


@pytest.mark.parametrize(
    "headers",
    [
        b"X-Big: " + b"b" * 9000 + b"\r\n",
        b"".join(b"X-H%d: v\r\n" % i for i in range(300)),
    ],
    ids=["one-huge-header", "too-many-headers"],
)
async def test_oversized_headers_get_494(echo: EchoUpstream, headers: bytes) -> None:
    h = await _harness(echo)
    try:
        data, closed = await raw_request(
            h.port, b"GET / HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n" + headers + b"\r\n", until_close=True
        )
        (response,) = parse_responses(data)
        assert response.status == 494
        assert response.json() == {"message": "Request header or cookie too large"}
        assert closed
        assert echo.requests == 0
    finally:
        await h.stop()


async def test_declared_body_over_the_limit_gets_413_before_reaching_the_upstream(echo: EchoUpstream) -> None:
    h = await _harness(echo, ProxySettings(client_max_body_size=1000))
    try:
        request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"a" * 10
        data, closed = await raw_request(h.port, request, until_close=True)
        (response,) = parse_responses(data)
        assert response.status == 413
        assert response.body == b"Payload too large\n"
        assert closed
        assert echo.requests == 0
    finally:
        await h.stop()


async def test_chunked_body_growing_over_the_limit_gets_413(echo: EchoUpstream) -> None:
    h = await _harness(echo, ProxySettings(client_max_body_size=1000))
    try:
        chunk = b"a" * 600
        body = b"".join(b"%x\r\n%b\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
        data, closed = await raw_request(
            h.port, b"POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body, until_close=True
        )
        responses = parse_responses(data)
        assert responses[0].status == 413
        assert closed
    finally:
        await h.stop()


async def test_pipelined_requests_are_answered_in_order(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        requests = b"".join(
            b"GET /delay/%s?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % (delay, n)
            for n, delay in enumerate([b"0.2", b"0", b"0.1"])
        )
        requests += b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
        data, closed = await raw_request(h.port, requests, expect=4)
        responses = parse_responses(data)
        assert [r.status for r in responses] == [200, 200, 200, 200]
        assert [r.json()["query"] for r in responses[:3]] == ["n=0", "n=1", "n=2"]
        assert responses[3].json()["body"] == "body"
        assert not closed
    finally:
        await h.stop()


async def test_http_1_0_without_keep_alive_is_closed_after_the_response(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        data, closed = await raw_request(h.port, b"GET /x HTTP/1.0\r\nHost: x\r\n\r\n", until_close=True)
        (response,) = parse_responses(data)
        assert response.status == 200
        assert response.json()["http_version"] == "HTTP/1.1"
        assert closed
    finally:
        await h.stop()


async def test_the_last_response_at_keepalive_requests_says_connection_close(echo: EchoUpstream) -> None:
    h = await _harness(echo, ProxySettings(keepalive_requests=3))
    try:
        request = b"GET /n HTTP/1.1\r\nHost: x\r\n\r\n"
        data, closed = await raw_request(h.port, request * 4, until_close=True)
        responses = parse_responses(data)
        assert [r.status for r in responses] == [200, 200, 200]  # the fourth is never read, like nginx
        assert [r.header("connection") for r in responses] == [None, None, "close"]
        assert closed
        assert echo.requests == 3
    finally:
        await h.stop()


async def test_chunked_request_body_is_forwarded_chunked(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        data, _ = await raw_request(h.port, b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        (response,) = parse_responses(data)
        seen = response.json()
        assert seen["body"] == "hello world"
        assert seen["headers"]["transfer-encoding"] == "chunked"
    finally:
        await h.stop()


async def test_chunked_upstream_response_streams_chunked_to_the_client(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        data, _ = await raw_request(h.port, b"GET /stream/5 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in data
        (response,) = parse_responses(data)
        assert response.body == b"".join(b"chunk-%d\n" % i for i in range(5))
    finally:
        await h.stop()


async def test_close_delimited_upstream_body_reaches_the_client_whole(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        data, _ = await raw_request(h.port, b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
        (response,) = parse_responses(data)
        assert response.status == 200
        assert response.body == b"close-delimited body"
    finally:
        await h.stop()


async def test_head_response_has_headers_only_and_the_connection_stays_usable(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        assert b"Content-Length: " in head
        writer.write(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")  # nothing of a HEAD body came in between
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        body = await asyncio.wait_for(reader.readexactly(length), 5)
        assert json.loads(body)["path"] == "/after"
        writer.close()
    finally:
        await h.stop()


async def test_expect_100_continue_is_answered_by_the_proxy(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"abc")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        writer.close()
    finally:
        await h.stop()


async def test_a_slow_client_does_not_stall_others(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        _slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", h.port)
        slow_writer.write(b"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + b"a" * 100)
        _half, half_writer = await asyncio.open_connection("127.0.0.1", h.port)
        half_writer.write(b"GET /half-a-request HTTP/1.1\r\nHo")
        for _ in range(20):
            response = await h.client.get("/fast")
            assert response.status_code == 200
        slow_writer.close()
        half_writer.close()
    finally:
        await h.stop()


async def test_an_early_answer_drains_the_rest_of_the_body_and_keeps_the_connection(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/api"])
        await h.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 404")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        writer.write(b"67890GET /api/next HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        assert json.loads(await reader.readexactly(length))["path"] == "/next"
        writer.close()


async def test_http_1_1_without_host_gets_400(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        data, closed = await raw_request(h.port, b"GET / HTTP/1.1\r\n\r\n", until_close=True)
        (response,) = parse_responses(data)
        assert response.status == 400
        assert response.header("date") is not None
        assert closed
        assert echo.requests == 0
    finally:
        await h.stop()


async def test_absolute_form_targets_route_on_their_host(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, hosts=["api.example"])
        await h.start()
        data, _ = await raw_request(h.port, b"GET http://api.example/p?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n")
        (response,) = parse_responses(data)
        assert response.status == 200
        assert response.json()["path"] == "/p"
        assert response.json()["query"] == "q=1"


async def test_unsupported_transfer_coding_gets_501(echo: EchoUpstream) -> None:
    h = await _harness(echo)
    try:
        body = b"5\r\nhello\r\n0\r\n\r\n"
        data, _ = await raw_request(
            h.port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + body, until_close=True
        )
        assert parse_responses(data)[0].status == 501
        assert echo.requests == 0
    finally:
        await h.stop()


async def test_a_client_stuck_in_its_headers_is_disconnected(echo: EchoUpstream) -> None:
    h = await _harness(echo, ProxySettings(header_read_timeout=0.5, keepalive_timeout=0.5))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed without an answer
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", h.port)
        idle_writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(idle_reader.readuntil(b"\r\n\r\n"), 5)
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await idle_reader.readexactly(length)
        assert await asyncio.wait_for(idle_reader.read(), 10) == b""  # idle keep-alive closed too
        writer.close()
        idle_writer.close()
    finally:
        await h.stop()
