"""Pagination (`size`, `offset`, `next`) and the `tags` filter, with Kong's errors; `/tags`."""

from __future__ import annotations

import pytest

from tests.integration.admin.support import Admin, AdminFactory


async def _walk(admin: Admin, path: str) -> tuple[list[dict], int]:
    seen: list[dict] = []
    pages = 0
    next_path: str | None = path
    while next_path is not None:
        body = (await admin.client.get(next_path)).json()
        pages += 1
        seen.extend(body["data"])
        next_path = body["next"]
        if next_path is not None:
            assert body["offset"] and "offset=" in next_path
        else:
            assert "offset" not in body
    return seen, pages


@pytest.mark.parametrize("strategy", ["sqlite", "memory", "postgres"])
async def test_walking_next(admin_factory: AdminFactory, strategy: str) -> None:
    async with admin_factory(strategy) as admin:
        for i in range(7):
            await admin.client.post("/consumers", json={"username": f"user{i}", "tags": ["odd" if i % 2 else "even"]})
        seen, pages = await _walk(admin, "/consumers?size=3")
        assert pages == 3
        assert sorted(c["username"] for c in seen) == [f"user{i}" for i in range(7)]
        first = (await admin.client.get("/consumers?size=3")).json()
        assert first["next"].startswith("/consumers?offset=") and first["next"].endswith("&size=3")
        evens, _ = await _walk(admin, "/consumers?size=2&tags=even")
        assert sorted(c["username"] for c in evens) == ["user0", "user2", "user4", "user6"]
        assert "&tags=even" in (await admin.client.get("/consumers?size=2&tags=even")).json()["next"]
        assert len((await admin.client.get("/consumers")).json()["data"]) == 7


async def test_nested_pagination(admin: Admin) -> None:
    await admin.client.post("/services", json={"name": "s1", "host": "a.test"})
    for i in range(5):
        await admin.client.post("/services/s1/routes", json={"paths": [f"/p{i}"]})
    body = (await admin.client.get("/services/s1/routes?size=2")).json()
    assert len(body["data"]) == 2 and body["next"].startswith("/services/s1/routes?offset=")
    seen, pages = await _walk(admin, "/services/s1/routes?size=2")
    assert pages == 3 and len(seen) == 5


async def test_bad_size_and_offset(admin: Admin) -> None:
    res = await admin.client.get("/services?size=abc")
    assert res.status_code == 400
    assert res.json() == {"code": 9, "name": "invalid size", "message": "size must be a number"}
    for size in ("0", "1001", "2.5"):
        res = await admin.client.get(f"/services?size={size}")
        assert res.status_code == 400 and res.json()["code"] == 9
        assert res.json()["message"] == "size must be an integer between 1 and 1000"
    res = await admin.client.get("/services?offset=x")
    assert res.status_code == 400
    assert res.json()["code"] == 7 and res.json()["name"] == "invalid offset"
    assert res.json()["message"] == "'x' is not a valid offset: bad base64 encoding"


async def test_tags_filter(admin: Admin) -> None:
    await admin.client.post("/services", json={"name": "ab", "host": "a.test", "tags": ["a", "b"]})
    await admin.client.post("/services", json={"name": "a", "host": "a.test", "tags": ["a"]})
    await admin.client.post("/services", json={"name": "c", "host": "a.test", "tags": ["c"]})

    async def names(query: str) -> list[str]:
        res = await admin.client.get(f"/services?tags={query}")
        assert res.status_code == 200, res.text
        return sorted(s["name"] for s in res.json()["data"])

    assert await names("a") == ["a", "ab"]
    assert await names("a,b") == ["ab"]
    assert await names("b/c") == ["ab", "c"]
    assert await names("zzz") == []
    res = await admin.client.get("/services?tags=a,b/c")
    assert res.status_code == 400
    assert res.json() == {
        "code": 11,
        "name": "invalid options",
        "message": "invalid option (tags: invalid filter syntax)",
        "fields": {"tags": "invalid filter syntax"},
    }
    res = await admin.client.get("/services?tags=1,2,3,4,5,6")
    assert res.status_code == 400
    assert res.json()["message"] == "invalid option (tags: cannot query more than 5 tags)"


async def test_tags_endpoints(admin: Admin) -> None:
    service = (await admin.client.post("/services", json={"host": "a.test", "tags": ["prod", "web"]})).json()
    consumer = (await admin.client.post("/consumers", json={"username": "x", "tags": ["prod"]})).json()
    body = (await admin.client.get("/tags/prod")).json()
    assert sorted((r["entity_name"], r["entity_id"]) for r in body["data"]) == [
        ("consumers", consumer["id"]),
        ("services", service["id"]),
    ]
    assert all(r["tag"] == "prod" for r in body["data"]) and body["next"] is None
    everything, pages = await _walk(admin, "/tags?size=2")
    assert pages == 2
    assert sorted(r["tag"] for r in everything) == ["prod", "prod", "web"]
    assert (await admin.client.get("/tags?offset=@@")).status_code == 400
