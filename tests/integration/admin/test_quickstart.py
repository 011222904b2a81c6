"""Kong's quickstart through the Admin API, with Kong's documented response bodies."""

from __future__ import annotations

import uuid

from tests.integration.admin.support import Admin

SERVICE_FIELDS = {
    "id", "created_at", "updated_at", "name", "retries", "protocol", "host", "port", "path", "connect_timeout",
    "write_timeout", "read_timeout", "tags", "client_certificate", "tls_verify", "tls_verify_depth",
    "ca_certificates", "enabled",
}  # fmt: skip
ROUTE_FIELDS = {
    "id", "created_at", "updated_at", "name", "protocols", "methods", "hosts", "paths", "headers",
    "https_redirect_status_code", "regex_priority", "strip_path", "path_handling", "preserve_host",
    "request_buffering", "response_buffering", "snis", "sources", "destinations", "tags", "service",
}  # fmt: skip
KONG_28_PLUGIN_FIELDS = {
    "id",
    "name",
    "created_at",
    "route",
    "service",
    "consumer",
    "config",
    "protocols",
    "enabled",
    "tags",
}
KONG_28_CONSUMER_FIELDS = {"id", "created_at", "username", "custom_id", "tags"}


async def test_create_service_with_url_form_encoded(admin: Admin) -> None:
    res = await admin.client.post("/services", data={"name": "example_service", "url": "http://mockbin.org"})
    assert res.status_code == 201
    body = res.json()
    assert set(body) == SERVICE_FIELDS
    assert body["host"] == "mockbin.org"
    assert body["protocol"] == "http"
    assert body["port"] == 80
    assert body["path"] is None
    assert body["retries"] == 5
    assert body["connect_timeout"] == body["read_timeout"] == body["write_timeout"] == 60000
    assert body["tags"] is None and body["client_certificate"] is None and body["tls_verify"] is None
    assert body["enabled"] is True
    assert uuid.UUID(body["id"])
    assert res.headers["content-type"].startswith("application/json")


async def test_route_plugin_consumer_and_key(any_admin: Admin) -> None:
    admin = any_admin
    service = (
        await admin.client.post("/services", json={"name": "example_service", "url": "http://mockbin.org"})
    ).json()

    res = await admin.client.post("/services/example_service/routes", data={"paths[]": "/mock", "name": "mocking"})
    assert res.status_code == 201
    route = res.json()
    assert set(route) == ROUTE_FIELDS
    assert route["paths"] == ["/mock"]
    assert route["service"] == {"id": service["id"]}
    assert route["protocols"] == ["http", "https"]
    assert route["strip_path"] is True and route["preserve_host"] is False
    assert route["https_redirect_status_code"] == 426
    assert route["regex_priority"] == 0 and route["path_handling"] == "v0"
    assert route["methods"] is None and route["hosts"] is None and route["headers"] is None

    res = await admin.client.post(
        "/services/example_service/plugins", data={"name": "key-auth", "config.key_names": "apikey"}
    )
    assert res.status_code == 201
    plugin = res.json()
    assert KONG_28_PLUGIN_FIELDS <= set(plugin) <= KONG_28_PLUGIN_FIELDS | {"updated_at", "instance_name"}
    assert plugin["name"] == "key-auth"
    assert plugin["service"] == {"id": service["id"]}
    assert plugin["route"] is None and plugin["consumer"] is None
    assert plugin["enabled"] is True
    assert plugin["protocols"] == ["grpc", "grpcs", "http", "https"]
    assert plugin["config"] == {
        "key_names": ["apikey"],
        "hide_credentials": False,
        "anonymous": None,
        "key_in_header": True,
        "key_in_query": True,
        "key_in_body": False,
        "run_on_preflight": True,
    }

    res = await admin.client.post("/consumers", data={"username": "consumer", "custom_id": "consumer"})
    assert res.status_code == 201
    consumer = res.json()
    assert KONG_28_CONSUMER_FIELDS <= set(consumer) <= KONG_28_CONSUMER_FIELDS | {"updated_at", "type"}
    assert consumer["username"] == "consumer" and consumer["custom_id"] == "consumer" and consumer["tags"] is None

    res = await admin.client.post("/consumers/consumer/key-auth", data={"key": "apikey"})
    assert res.status_code == 201
    credential = res.json()
    assert credential["key"] == "apikey"
    assert credential["consumer"] == {"id": consumer["id"]}

    generated = (await admin.client.post("/consumers/consumer/key-auth")).json()
    assert len(generated["key"]) == 32

    listed = (await admin.client.get("/consumers/consumer/key-auth")).json()
    assert sorted(c["key"] for c in listed["data"]) == sorted(["apikey", generated["key"]])
    assert listed["next"] is None
    assert (await admin.client.get("/key-auths/apikey")).json()["id"] == credential["id"]
    assert (await admin.client.get(f"/key-auths/{credential['id']}/consumer")).json()["id"] == consumer["id"]
