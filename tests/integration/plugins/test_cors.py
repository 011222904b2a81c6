"""cors through a real proxy."""

from __future__ import annotations

from tests.integration.plugins.support import Gateway

PREFLIGHT = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}


async def test_preflight_is_answered_by_the_gateway(gw: Gateway) -> None:
    route = await gw.route("/cors")
    config = {
        "origins": ["https://app.example.com", r"https://.*\.example\.org"],
        "headers": ["Content-Type", "X-Token"],
        "methods": ["GET", "POST"],
        "max_age": 3600,
        "credentials": True,
    }
    await gw.plugin("cors", config, route={"id": route["id"]})
    response = await gw.client.options("/cors", headers=PREFLIGHT)
    assert response.status_code == 200
    assert "x-upstream" not in response.headers
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-allow-headers"] == "Content-Type,X-Token"
    assert response.headers["access-control-max-age"] == "3600"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"

    regex = await gw.client.options("/cors", headers={**PREFLIGHT, "Origin": "https://x.example.org"})
    assert regex.headers["access-control-allow-origin"] == "https://x.example.org"
    refused = await gw.client.options("/cors", headers={**PREFLIGHT, "Origin": "https://evil.test"})
    assert "access-control-allow-origin" not in refused.headers


async def test_actual_requests_get_cors_headers(gw: Gateway) -> None:
    route = await gw.route("/cors")
    config = {"origins": ["https://a.test", "https://b.test"], "exposed_headers": ["X-Upstream"]}
    await gw.plugin("cors", config, route={"id": route["id"]})
    response = await gw.client.get("/cors", headers={"Origin": "https://b.test"})
    assert response.status_code == 200 and response.headers["x-upstream"] == "echo"
    assert response.headers["access-control-allow-origin"] == "https://b.test"
    assert response.headers["access-control-expose-headers"] == "X-Upstream"
    assert "Origin" in response.headers["vary"]
    other = await gw.client.get("/cors", headers={"Origin": "https://c.test"})
    assert "access-control-allow-origin" not in other.headers


async def test_wildcard_and_echoed_request_headers(gw: Gateway) -> None:
    route = await gw.route("/any")
    await gw.plugin("cors", route={"id": route["id"]})
    response = await gw.client.options("/any", headers={**PREFLIGHT, "Access-Control-Request-Headers": "X-One,X-Two"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-headers"] == "X-One,X-Two"
    assert response.headers["access-control-allow-methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"


async def test_preflight_continue_reaches_the_upstream(gw: Gateway) -> None:
    route = await gw.route("/continue")
    await gw.plugin("cors", {"preflight_continue": True}, route={"id": route["id"]})
    echoed = gw.echoed(await gw.client.options("/continue", headers=PREFLIGHT))
    assert echoed.method == "OPTIONS"


async def test_preflight_is_answered_before_authentication(gw: Gateway) -> None:
    route = await gw.route("/auth")
    await gw.plugin("cors", {"origins": ["https://app.example.com"]}, route={"id": route["id"]})
    await gw.plugin("key-auth", route={"id": route["id"]})
    assert (await gw.client.options("/auth", headers=PREFLIGHT)).status_code == 200
    denied = await gw.client.get("/auth", headers={"Origin": "https://app.example.com"})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == "https://app.example.com"


async def test_private_network_preflight(gw: Gateway) -> None:
    route = await gw.route("/pna")
    await gw.plugin("cors", {"private_network": True}, route={"id": route["id"]})
    asked = await gw.client.options("/pna", headers={**PREFLIGHT, "Access-Control-Request-Private-Network": "true"})
    assert asked.headers["access-control-allow-private-network"] == "true"
    plain = await gw.client.options("/pna", headers=PREFLIGHT)
    assert "access-control-allow-private-network" not in plain.headers


async def test_requests_without_origin(gw: Gateway) -> None:
    default = await gw.route("/absent-ok")
    strict = await gw.route("/absent-skip")
    await gw.plugin("cors", {"origins": ["https://a.test"]}, route={"id": default["id"]})
    await gw.plugin("cors", {"origins": ["https://a.test"], "allow_origin_absent": False}, route={"id": strict["id"]})
    assert (await gw.client.get("/absent-ok")).headers["access-control-allow-origin"] == "https://a.test"
    assert "access-control-allow-origin" not in (await gw.client.get("/absent-skip")).headers
