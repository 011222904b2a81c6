"""One route proxied to a real echo upstream: the request as the upstream sees it, the response as the
client sees it."""

from __future__ import annotations

from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.proxy_harness import ProxyHarness


async def test_request_reaches_the_upstream_with_path_query_body_and_forwarded_headers(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}/base")
        h.route(service, paths=["/api"])
        await h.start()
        response = await h.client.post("/api/items?x=1&y=2", content=b"hello", headers={"X-Custom": "yes"})
        assert response.status_code == 200
        seen = response.json()
        assert seen["method"] == "POST"
        assert seen["path"] == "/base/items"
        assert seen["query"] == "x=1&y=2"
        assert seen["body"] == "hello"
        assert seen["headers"]["x-custom"] == "yes"
        assert seen["headers"]["host"] == f"127.0.0.1:{echo.port}"
        assert seen["headers"]["x-real-ip"] == "127.0.0.1"
        assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
        assert seen["headers"]["x-forwarded-proto"] == "http"
        assert seen["headers"]["x-forwarded-host"] == "127.0.0.1"
        assert seen["headers"]["x-forwarded-port"] == str(h.port)
        assert seen["headers"]["x-forwarded-path"] == "/api/items"
        assert seen["headers"]["x-forwarded-prefix"] == "/api"
        assert response.headers["via"].startswith("kong/")
        assert int(response.headers["x-kong-upstream-latency"]) >= 0
        assert int(response.headers["x-kong-proxy-latency"]) >= 0
        assert response.headers["x-upstream-name"] == "echo"


async def test_unmatched_request_gets_kongs_404(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/api"])
        await h.start()
        response = await h.client.get("/other", headers={"Accept": "application/json"})
        assert response.status_code == 404
        assert response.json() == {"message": "no Route matched with those values"}
        assert response.headers["server"].startswith("kong/")
        assert "x-kong-response-latency" in response.headers


async def test_keep_alive_reuses_one_upstream_connection(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        await h.start()
        for _ in range(20):
            response = await h.client.get("/x")
            assert response.status_code == 200
        assert echo.requests == 20
        assert echo.connections == 1
