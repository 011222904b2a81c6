"""request-transformer through a real proxy."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from tests.integration.plugins.support import Gateway


async def test_headers_and_query_string(gw: Gateway) -> None:
    route = await gw.route("/rt")
    config = {
        "remove": {"headers": ["x-drop"], "querystring": ["debug"]},
        "rename": {"headers": ["x-old:x-new"], "querystring": ["q:search"]},
        "replace": {"headers": ["x-swap:replaced", "x-absent:never"], "querystring": ["page:1"]},
        "add": {"headers": ["x-added:yes", "x-keep:no"], "querystring": ["lang:en"]},
        "append": {"headers": ["x-keep:also"], "querystring": ["tag:b"]},
    }
    await gw.plugin("request-transformer", config, route={"id": route["id"]})
    echoed = gw.echoed(
        await gw.client.get(
            "/rt?debug=1&q=cats&page=7&tag=a",
            headers={"X-Drop": "1", "X-Old": "v", "X-Swap": "orig", "X-Keep": "mine"},
        )
    )
    assert echoed.header("x-drop") is None
    assert echoed.header("x-old") is None and echoed.header("x-new") == "v"
    assert echoed.header("x-swap") == "replaced" and echoed.header("x-absent") is None
    assert echoed.header("x-added") == "yes"
    assert echoed.all("x-keep") == ["mine", "also"]
    assert parse_qs(echoed.query) == {"search": ["cats"], "page": ["1"], "tag": ["a", "b"], "lang": ["en"]}


async def test_json_body(gw: Gateway) -> None:
    route = await gw.route("/json")
    config = {
        "remove": {"body": ["password"]},
        "rename": {"body": ["user:username"]},
        "add": {"body": ["source:gateway"]},
        "append": {"body": ["roles:reader"]},
    }
    await gw.plugin("request-transformer", config, route={"id": route["id"]})
    echoed = gw.echoed(await gw.client.post("/json", json={"user": "alice", "password": "x", "n": 1}))
    assert json.loads(echoed.body) == {"username": "alice", "n": 1, "source": "gateway", "roles": ["reader"]}
    assert echoed.header("content-length") == str(len(echoed.body.encode()))


async def test_form_body_and_method_change(gw: Gateway) -> None:
    route = await gw.route("/form")
    await gw.plugin(
        "request-transformer",
        {"replace": {"body": ["a:2"]}, "add": {"body": ["b:3"]}},
        route={"id": route["id"]},
    )
    echoed = gw.echoed(await gw.client.post("/form", data={"a": "1", "c": "x"}))
    assert parse_qs(echoed.body) == {"a": ["2"], "c": ["x"], "b": ["3"]}

    get_route = await gw.route("/to-get")
    await gw.plugin("request-transformer", {"http_method": "GET"}, route={"id": get_route["id"]})
    moved = gw.echoed(await gw.client.post("/to-get?z=0", data={"k": "v"}))
    assert moved.method == "GET" and parse_qs(moved.query) == {"z": ["0"], "k": ["v"]}


async def test_uri_replacement_with_captures_and_header_templates(gw: Gateway) -> None:
    route = await gw.route(r"~/items/(?<id>\d+)$")
    config = {
        "replace": {"uri": "/v2/things/$(uri_captures.id)"},
        "add": {"headers": ["x-version:$(headers.x_api_version)", "x-page:$(query_params.page)"]},
    }
    await gw.plugin("request-transformer", config, route={"id": route["id"]})
    echoed = gw.echoed(await gw.client.get("/items/42?page=3", headers={"X-API-Version": "7"}))
    assert echoed.path == "/v2/things/42"
    assert echoed.header("x-version") == "7" and echoed.header("x-page") == "3"


async def test_rename_of_a_header_set_by_an_earlier_plugin(gw: Gateway) -> None:
    route = await gw.route("/ident")
    await gw.plugin("key-auth", route={"id": route["id"]})
    await gw.plugin(
        "request-transformer", {"rename": {"headers": ["x-consumer-username:x-user"]}}, route={"id": route["id"]}
    )
    alice = await gw.consumer("alice")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "ak"})
    echoed = gw.echoed(await gw.client.get("/ident", headers={"apikey": "ak"}))
    assert echoed.header("x-user") == "alice" and echoed.header("x-consumer-username") is None


async def test_query_edits_keep_a_key_hidden_by_key_auth(gw: Gateway) -> None:
    route = await gw.route("/hide-then-add")
    await gw.plugin("key-auth", {"hide_credentials": True}, route={"id": route["id"]})
    await gw.plugin("request-transformer", {"add": {"querystring": ["via:gateway"]}}, route={"id": route["id"]})
    alice = await gw.consumer("alice")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "hidden-key"})
    echoed = gw.echoed(await gw.client.get("/hide-then-add?apikey=hidden-key&a=1"))
    assert parse_qs(echoed.query) == {"a": ["1"], "via": ["gateway"]}


async def test_multipart_body(gw: Gateway) -> None:
    route = await gw.route("/upload")
    config = {"remove": {"body": ["secret"]}, "add": {"body": ["source:gateway"]}, "rename": {"body": ["f:file"]}}
    await gw.plugin("request-transformer", config, route={"id": route["id"]})
    response = await gw.client.post(
        "/upload", data={"keep": "1", "secret": "s"}, files={"f": ("a.txt", b"file-content", "text/plain")}
    )
    echoed = gw.echoed(response)
    assert 'name="secret"' not in echoed.body and "\r\ns\r\n" not in echoed.body
    assert 'name="source"\r\n\r\ngateway' in echoed.body
    assert 'name="file"; filename="a.txt"' in echoed.body and "file-content" in echoed.body
    assert echoed.header("content-length") == str(len(echoed.body.encode()))
