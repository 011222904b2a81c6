"""The plugin pipeline with small test plugins: phases, precedence, short-circuit, errors, the PDK."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import pytest

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.schema import Boolean, Record, String
from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.proxy_harness import ProxyHarness

EVENTS: list[tuple[str, str, Any]] = []


class Tagger(Plugin[dict[str, Any]]):
    """Adds `X-Tag: <config.tag>` upstream and `X-Tag-Seen` on the response; records its phases."""

    NAME = "tagger"
    PRIORITY = 1000
    CONFIG = Record({"tag": String(default="default", description="Tag.")})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("tagger", "access", conf["tag"]))
        kong.service.request.set_header("X-Tag", conf["tag"])
        kong.ctx.shared["tag"] = conf["tag"]

    def header_filter(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("tagger", "header_filter", kong.response.get_source()))
        kong.response.set_header("X-Tag-Seen", conf["tag"])

    async def log(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("tagger", "log", kong.log.serialize()["response"]["status"]))


class Gate(Plugin[dict[str, Any]]):
    """Stops requests that lack `X-Pass`; authenticates the consumer named in `X-Consumer` otherwise."""

    NAME = "gate"
    PRIORITY = 2000
    CONFIG = Record({"anonymous": String(description="Anonymous consumer id.")})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("gate", "access", None))
        if kong.request.get_header("X-Pass") is None:
            if conf.get("anonymous"):
                consumer = await kong.client.load_consumer(conf["anonymous"])
                assert consumer is not None
                kong.client.authenticate_anonymous(consumer)
                return
            kong.response.exit(401, {"message": "Unauthorized"}, {"WWW-Authenticate": "Gate"})
        name = kong.request.get_header("X-Consumer")
        if name:
            consumer = await kong.client.load_consumer(name, search_by_username=True)
            kong.client.authenticate(consumer, {"id": "cred-" + name})


class Boom(Plugin[dict[str, Any]]):
    NAME = "boom"
    PRIORITY = 500
    CONFIG = Record({"phase": String(default="access", description="Where to fail.")})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        if conf["phase"] == "access":
            raise RuntimeError("boom")

    def header_filter(self, kong: PDK, conf: dict[str, Any]) -> None:
        if conf["phase"] == "header_filter":
            raise RuntimeError("boom in header_filter")


class Upper(Plugin[dict[str, Any]]):
    """Upper-cases the response body (body_filter) and rewrites the upstream request."""

    NAME = "upper"
    PRIORITY = 800
    CONFIG = Record({"rewrite": Boolean(default=False, description="Rewrite the request.")})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        if conf["rewrite"]:
            body = await kong.request.get_raw_body()
            kong.service.request.set_raw_body(body[::-1])
            kong.service.request.set_path("/rewritten")
            kong.service.request.set_query({"a": "1", "b": ["2", "3"]})
            kong.service.request.set_method("PUT")
            kong.service.request.clear_header("X-Drop")

    def body_filter(self, kong: PDK, conf: dict[str, Any], chunk: bytes, eof: bool) -> bytes:
        return chunk.upper()


class Rewriter(Plugin[dict[str, Any]]):
    """A global rewrite-phase plugin that changes the path before routing."""

    NAME = "rewriter"
    PRIORITY = 3000
    CONFIG = Record({})
    PHASES_SEEN: ClassVar[list[str]] = []

    async def rewrite(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("rewriter", "rewrite", kong.request.get_path()))
        if kong.request.get_header("X-Early-Exit"):
            kong.response.error(418, "early")


PLUGINS = [Tagger, Gate, Boom, Upper, Rewriter]


@pytest.fixture(autouse=True)
def _clear_events() -> None:
    EVENTS.clear()


async def _wait_for(predicate: Any) -> None:
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_phases_run_in_order_and_the_log_phase_runs_after_the_response(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("tagger", config={"tag": "global"})
        await h.start()
        response = await h.client.get("/")
        assert response.json()["headers"]["x-tag"] == "global"
        assert response.headers["x-tag-seen"] == "global"
        await _wait_for(lambda: ("tagger", "log", 200) in EVENTS)
        assert EVENTS == [
            ("tagger", "access", "global"),
            ("tagger", "header_filter", "service"),
            ("tagger", "log", 200),
        ]


async def test_most_specific_configuration_wins(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        route_a = h.route(service, paths=["/a"])
        route_b = h.route(service, paths=["/b"])
        route_c = h.route(service, paths=["/c"])
        other = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(other, paths=["/other"])
        h.plugin("tagger", config={"tag": "global"})
        h.plugin("tagger", service=service, config={"tag": "service"})
        h.plugin("tagger", route=route_a, config={"tag": "route"})
        h.plugin("tagger", route=route_b, service=service, config={"tag": "route+service"})
        h.plugin("tagger", route=route_c, config={"tag": "disabled"}, enabled=False)
        await h.start()
        assert (await h.client.get("/a")).json()["headers"]["x-tag"] == "route"
        assert (await h.client.get("/b")).json()["headers"]["x-tag"] == "route+service"
        assert (await h.client.get("/c")).json()["headers"]["x-tag"] == "service"  # disabled falls through
        assert (await h.client.get("/other")).json()["headers"]["x-tag"] == "global"


async def test_consumer_scoped_configuration_applies_after_authentication(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        route = h.route(service, paths=["/"])
        alice = h.add("consumers", {"username": "alice", "custom_id": "A-1"})
        bob = h.add("consumers", {"username": "bob"})
        h.plugin("gate", route=route)
        h.plugin("tagger", route=route, config={"tag": "route"})
        h.plugin("tagger", consumer=alice, config={"tag": "alice-only"})
        h.plugin("tagger", route=route, consumer=bob, config={"tag": "bob-on-route"})
        await h.start()
        as_alice = (await h.client.get("/", headers={"X-Pass": "1", "X-Consumer": "alice"})).json()["headers"]
        # Consumer alone beats Route alone in Kong's precedence.
        assert as_alice["x-tag"] == "alice-only"
        assert as_alice["x-consumer-id"] == alice["id"]
        assert as_alice["x-consumer-username"] == "alice"
        assert as_alice["x-consumer-custom-id"] == "A-1"
        assert as_alice["x-credential-identifier"] == "cred-alice"
        assert "x-anonymous-consumer" not in as_alice
        as_bob = (await h.client.get("/", headers={"X-Pass": "1", "X-Consumer": "bob"})).json()["headers"]
        assert as_bob["x-tag"] == "bob-on-route"
        assert "x-consumer-custom-id" not in as_bob


async def test_consumer_only_configuration_applies_when_nothing_more_specific_exists(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        alice = h.add("consumers", {"username": "alice"})
        h.plugin("gate")
        h.plugin("tagger", consumer=alice, config={"tag": "alice-only"})
        h.plugin("tagger", config={"tag": "global"})
        await h.start()
        as_alice = (await h.client.get("/", headers={"X-Pass": "1", "X-Consumer": "alice"})).json()["headers"]
        assert as_alice["x-tag"] == "alice-only"
        nobody = (await h.client.get("/", headers={"X-Pass": "1"})).json()["headers"]
        assert nobody["x-tag"] == "global"


async def test_anonymous_consumer_is_marked_upstream(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        anonymous = h.add("consumers", {"username": "anon"})
        h.plugin("gate", config={"anonymous": anonymous["id"]})
        await h.start()
        seen = (await h.client.get("/")).json()["headers"]
        assert seen["x-anonymous-consumer"] == "true"
        assert seen["x-consumer-id"] == anonymous["id"]
        assert "x-credential-identifier" not in seen


async def test_short_circuit_skips_later_access_handlers_but_runs_filters_and_log(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("gate")
        h.plugin("tagger", config={"tag": "t"})
        await h.start()
        response = await h.client.get("/")
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}
        assert response.headers["www-authenticate"] == "Gate"
        assert response.headers["x-tag-seen"] == "t"
        assert echo.requests == 0
        await _wait_for(lambda: ("tagger", "log", 401) in EVENTS)
        assert ("tagger", "access", "t") not in EVENTS
        assert ("tagger", "header_filter", "exit") in EVENTS


async def test_a_failing_plugin_gives_500_and_the_node_keeps_serving(
    echo: EchoUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        broken = h.route(service, paths=["/broken"])
        h.route(service, paths=["/fine"])
        h.plugin("boom", route=broken)
        await h.start()
        with caplog.at_level(logging.ERROR, logger="sekisho.proxy"):
            response = await h.client.get("/broken", headers={"Accept": "application/json"})
        assert response.status_code == 500
        assert response.json() == {"message": "An unexpected error occurred"}
        assert any("boom" in r.getMessage() and "access" in r.getMessage() for r in caplog.records)
        assert (await h.client.get("/fine")).status_code == 200
        assert echo.requests == 1


async def test_a_failing_header_filter_does_not_break_the_response(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("boom", config={"phase": "header_filter"})
        await h.start()
        assert (await h.client.get("/")).status_code == 200


async def test_body_filter_and_service_request_rewrites(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("upper", config={"rewrite": True})
        await h.start()
        response = await h.client.post("/orig?x=1", content=b"abc", headers={"X-Drop": "1"})
        assert response.status_code == 200
        assert "content-length" not in response.headers or int(response.headers["content-length"]) == len(
            response.content
        )
        seen = response.json()  # upper-cased by the body filter, keys included
        assert seen["METHOD"] == "PUT"
        assert seen["PATH"] == "/REWRITTEN"
        assert seen["QUERY"] == "A=1&B=2&B=3"
        assert seen["BODY"] == "CBA"
        assert "X-DROP" not in seen["HEADERS"]
        assert seen["HEADERS"]["CONTENT-LENGTH"] == "3"


async def test_global_rewrite_runs_before_routing_and_can_exit(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("rewriter")
        await h.start()
        assert (await h.client.get("/x")).status_code == 200
        assert ("rewriter", "rewrite", "/x") in EVENTS
        early = await h.client.get("/x", headers={"X-Early-Exit": "1", "Accept": "application/json"})
        assert early.status_code == 418
        assert early.json() == {"message": "early"}


async def test_access_log_hook_gets_a_kong_serialized_record(echo: EchoUpstream) -> None:
    records: list[dict[str, Any]] = []
    async with ProxyHarness(access_log=records.append) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}", name="svc")
        h.route(service, paths=["/"], name="rt")
        await h.start()
        await h.client.get("/logged?q=1", headers={"Authorization": "Bearer secret-token"})
        await h.client.get("/", headers={"Host": "unknown"}, params={"x": "1"})
        (record, second) = records
        assert record["request"]["method"] == "GET"
        assert record["request"]["uri"] == "/logged?q=1"
        assert record["request"]["querystring"] == {"q": "1"}
        assert record["request"]["headers"]["authorization"] == "REDACTED"
        assert record["response"]["status"] == 200
        assert record["route"]["name"] == "rt"
        assert record["service"]["name"] == "svc"
        assert record["client_ip"] == "127.0.0.1"
        assert record["latencies"]["request"] >= 0
        assert second["response"]["status"] == 200
        # sizes are per response, not the connection's running total (both went over one keep-alive connection)
        assert 0 < second["response"]["size"] < record["response"]["size"] * 1.5


class Reader(Plugin[dict[str, Any]]):
    """Reads the body (raw or parsed) and reports what it saw in `X-Read`."""

    NAME = "reader"
    PRIORITY = 700
    CONFIG = Record({"parsed": Boolean(default=False, description="Use get_body.")})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        if conf["parsed"]:
            args, err, _ = await kong.request.get_body("application/json")
            kong.service.request.set_header("X-Read", err or f"json:{sorted(args)}")
        else:
            raw = await kong.request.get_raw_body()
            kong.service.request.set_header("X-Read", f"raw:{len(raw)}")


async def test_plugins_read_bodies_within_client_body_buffer_size(echo: EchoUpstream) -> None:
    from sekisho.proxy import ProxySettings

    async with ProxyHarness([Reader], settings=ProxySettings(client_body_buffer_size=1024)) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        raw_route = h.route(service, paths=["/raw"])
        parsed_route = h.route(service, paths=["/parsed"])
        h.plugin("reader", route=raw_route)
        h.plugin("reader", route=parsed_route, config={"parsed": True})
        await h.start()
        small = await h.client.post("/raw", content=b"x" * 1000)
        assert small.json()["headers"]["x-read"] == "raw:1000"
        assert small.json()["body"] == "x" * 1000  # the buffered body still reaches the upstream
        parsed = await h.client.post("/parsed", content=b'{"b": 1, "a": 2}')
        assert parsed.json()["headers"]["x-read"] == "json:['a', 'b']"
        large = await h.client.post("/raw", content=b"x" * 5000, headers={"Accept": "application/json"})
        assert large.status_code == 413
        assert large.json() == {"message": "Payload too large"}
        large_parsed = await h.client.post("/parsed", content=b"x" * 5000)
        assert large_parsed.status_code == 413  # the plugin went on, but a truncated body is never sent
        assert echo.requests == 2


class FormEcho(Plugin[dict[str, Any]]):
    """Sends what kong.request.get_body() parsed upstream as `X-Form`."""

    NAME = "form-echo"
    PRIORITY = 600
    CONFIG = Record({})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        args, err, mimetype = await kong.request.get_body()
        kong.service.request.set_header("X-Form", f"{mimetype}|{err}|{sorted((args or {}).items())}")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        (
            "application/x-www-form-urlencoded",
            b"a=1&b=2&a=3",
            "application/x-www-form-urlencoded|None|[('a', ['1', '3']), ('b', '2')]",
        ),
        (
            "multipart/form-data; boundary=XyZ",
            b'--XyZ\r\nContent-Disposition: form-data; name="user"\r\n\r\nann\r\n'
            b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nfile body\r\n--XyZ--\r\n",
            "multipart/form-data|None|[('file', 'file body'), ('user', 'ann')]",
        ),
        ("application/json", b"{not json", "application/json|failed to decode JSON body|[]"),
    ],
    ids=["urlencoded", "multipart", "bad-json"],
)
async def test_get_body_parses_forms_multipart_and_json(
    echo: EchoUpstream, content_type: str, body: bytes, expected: str
) -> None:
    async with ProxyHarness([FormEcho]) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("form-echo")
        await h.start()
        response = await h.client.post("/", content=body, headers={"Content-Type": content_type})
        assert response.json()["headers"]["x-form"] == expected
        assert response.json()["body"] == body.decode()


class NoContent(Plugin[dict[str, Any]]):
    NAME = "no-content"
    PRIORITY = 100
    CONFIG = Record({})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        kong.response.exit(204, "ignored body", {"X-Reason": "preflight"})


async def test_a_204_exit_has_no_body_and_no_length(echo: EchoUpstream) -> None:
    from tests.helpers.proxy_harness import parse_responses, raw_request

    async with ProxyHarness([NoContent]) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("no-content")
        await h.start()
        data, _ = await raw_request(
            h.port, b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", expect=2
        )
        first, second = parse_responses(data)
        assert first.status == 204
        assert first.header("content-length") is None
        assert first.header("x-reason") == "preflight"
        assert first.body == b""
        assert second.status == 204


class BigExit(Plugin[dict[str, Any]]):
    NAME = "big-exit"
    PRIORITY = 100
    CONFIG = Record({})
    COUNT = 0

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        BigExit.COUNT += 1
        kong.response.exit(200, b"b" * 100_000)


async def test_a_client_that_does_not_read_stops_getting_answers_produced(echo: EchoUpstream) -> None:
    async with ProxyHarness([BigExit]) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("big-exit")
        await h.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 400)  # 40 MB of answers, never read
        await asyncio.sleep(1.0)
        stalled_at = BigExit.COUNT
        assert stalled_at < 400
        received = 0
        while received < 400 * 100_000:
            piece = await asyncio.wait_for(reader.read(1 << 20), 10)
            assert piece
            received += len(piece)
        assert BigExit.COUNT == 400
        writer.close()


class PathProbe(Plugin[dict[str, Any]]):
    NAME = "path-probe"
    PRIORITY = 100
    CONFIG = Record({})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        kong.service.request.set_header("X-Path", kong.request.get_path())
        kong.service.request.set_header("X-Raw-Path", kong.request.get_raw_path())
        kong.service.request.set_header("X-Query-A", kong.request.get_query_arg("a") or "-")


async def test_get_path_normalizes_once_without_decoding_reserved_triplets(echo: EchoUpstream) -> None:
    from tests.helpers.proxy_harness import parse_responses, raw_request

    async with ProxyHarness([PathProbe]) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"], strip_path=False)
        h.plugin("path-probe")
        await h.start()
        data, _ = await raw_request(h.port, b"GET /a/./b//%7Ec/%252e%252e/%2f?a=1&a=2 HTTP/1.1\r\nHost: x\r\n\r\n")
        seen = parse_responses(data)[0].json()["headers"]
        assert seen["x-path"] == "/a/b/~c/%252e%252e/%2F"  # %25 stays encoded: decoded once, never twice
        assert seen["x-raw-path"] == "/a/./b//%7Ec/%252e%252e/%2f"
        assert seen["x-query-a"] == "1"


class Cookies(Plugin[dict[str, Any]]):
    """Adds a Set-Cookie in its access phase, before the upstream's response exists (as session plugins do)."""

    NAME = "cookies"
    PRIORITY = 900
    CONFIG = Record({})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        kong.response.add_header("Set-Cookie", "plugin=1; Path=/")


async def test_a_header_added_in_the_access_phase_keeps_the_upstreams_own(echo: EchoUpstream) -> None:
    async with ProxyHarness([Cookies]) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        h.plugin("cookies")
        await h.start()
        with_cookie = await h.client.get("/cookie/app=2")
        assert with_cookie.headers.get_list("set-cookie") == ["app=2; Path=/", "plugin=1; Path=/"]
        without = await h.client.get("/plain")
        assert without.headers.get_list("set-cookie") == ["plugin=1; Path=/"]
