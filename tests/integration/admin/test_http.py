"""HTTP behaviour of the Admin listener: unknown paths, methods, OPTIONS, HEAD, headers, bodies."""

from __future__ import annotations

import pytest

from tests.integration.admin.support import Admin, AdminFactory


async def test_unknown_path_is_404(admin: Admin) -> None:
    res = await admin.client.get("/nothing/here")
    assert res.status_code == 404
    assert res.json() == {"message": "Not found"}


async def test_wrong_method_is_405(admin: Admin) -> None:
    for method, path in (("DELETE", "/services"), ("POST", "/services/s1"), ("PUT", "/status")):
        res = await admin.client.request(method, path)
        assert res.status_code == 405, (method, path)
        assert res.json() == {"message": "Method not allowed"}


async def test_options_lists_allowed_methods(admin: Admin) -> None:
    res = await admin.client.options("/services")
    assert res.status_code == 204
    assert res.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    res = await admin.client.options("/services/s1")
    assert res.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
    assert res.headers["access-control-allow-origin"] == "*"
    res = await admin.client.options("/nothing/here")
    assert res.status_code == 204 and res.content == b""
    assert res.headers["allow"] == res.headers["access-control-allow-methods"] == "GET, HEAD, PUT, PATCH, POST, DELETE"
    assert res.headers["access-control-allow-headers"] == "Content-Type"
    assert res.headers["access-control-allow-origin"] == "*"
    assert (await admin.client.get("/nothing/here")).status_code == 404


async def test_head_is_get_without_body(admin: Admin) -> None:
    await admin.client.post("/consumers", json={"username": "alice"})
    res = await admin.client.head("/consumers/alice")
    assert res.status_code == 200 and res.content == b""
    assert int(res.headers["content-length"]) > 0
    assert (await admin.client.head("/consumers/bob")).status_code == 404


async def test_common_headers(admin: Admin) -> None:
    for res in (await admin.client.get("/"), await admin.client.get("/nope"), await admin.client.post("/services")):
        assert res.headers["access-control-allow-origin"] == "*"
        assert res.headers["server"].startswith("sekisho/")
        assert int(res.headers["x-kong-admin-latency"]) >= 0
    assert (await admin.client.get("/")).headers["content-type"] == "application/json; charset=utf-8"


async def test_trailing_slash_is_ignored(admin: Admin) -> None:
    assert (await admin.client.post("/consumers/", json={"username": "alice"})).status_code == 201
    assert (await admin.client.get("/consumers/alice/")).json()["username"] == "alice"


async def test_json_errors(admin: Admin) -> None:
    headers = {"content-type": "application/json"}
    for body in (b"{not json", b"", b"[1, 2]", b'{"retries": NaN}'):
        res = await admin.client.post("/services", content=body, headers=headers)
        assert res.status_code == 400, body
        assert res.json() == {"message": "Cannot parse JSON body"}


async def test_unsupported_content_type_is_415(admin: Admin) -> None:
    res = await admin.client.post("/services", content=b"host=x", headers={"content-type": "text/csv"})
    assert res.status_code == 415
    res = await admin.client.post("/services", content=b"host=x", headers={"content-type": ""})
    assert res.status_code == 415


async def test_oversized_body_is_413(admin_factory: AdminFactory) -> None:
    async with admin_factory(max_body_size=1024) as admin:
        res = await admin.client.post("/consumers", json={"username": "a" * 2000})
        assert res.status_code == 413

        async def chunks():  # no Content-Length: the limit applies while reading
            for _ in range(10):
                yield b"x" * 200

        res = await admin.client.post("/consumers", content=chunks(), headers={"content-type": "application/json"})
        assert res.status_code == 413
        assert (await admin.client.post("/consumers", json={"username": "small"})).status_code == 201


async def test_multipart_form(admin: Admin) -> None:
    files = {"username": (None, "alice"), "tags[]": (None, "a")}
    res = await admin.client.post("/consumers", files=files)
    assert res.status_code == 201, res.text
    assert res.json()["username"] == "alice" and res.json()["tags"] == ["a"]


async def test_unexpected_errors_do_not_leak(admin: Admin, caplog: pytest.LogCaptureFixture) -> None:
    await admin.db.close()  # the database goes away under the Admin API
    for path in ("/services", "/key-auths/secret-api-key-123"):
        res = await admin.client.get(path)
        assert res.status_code == 500
        assert res.json() == {"message": "An unexpected error occurred"}
    assert "secret-api-key-123" not in caplog.text
    assert "/key-auths/{keyauth_credentials}" in caplog.text
    await admin.db.connect()
