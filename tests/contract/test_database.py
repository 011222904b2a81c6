"""The Database contract: every backend behaves like Kong's DAO, with Kong's error bodies."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from sekisho.errors import ErrorCode, SchemaViolation, StoreError
from sekisho.store.base import ChangeEvent
from sekisho.store.dao import EntityDatabase
from tests.helpers.certs import make_certificate


async def _error(coro: Any) -> dict[str, Any]:
    with pytest.raises(StoreError) as info:
        await coro
    return info.value.to_kong()


# -- CRUD ---------------------------------------------------------------------------------------------------


async def test_insert_fills_defaults_and_select_by_id_and_name(db: EntityDatabase) -> None:
    row = await db.insert("services", {"name": "billing", "url": "http://billing.internal:8080/v1"})
    assert row["host"] == "billing.internal" and row["port"] == 8080 and row["path"] == "/v1"
    assert row["retries"] == 5 and row["tags"] is None
    assert await db.select("services", row["id"]) == row
    assert await db.select("services", "billing") == row
    assert await db.select("services", row["id"].upper()) == row
    assert await db.select("services", "nope") is None
    assert await db.select("services", str(uuid.uuid4())) is None
    assert await db.select_by("services", "name", "billing") == row
    assert await db.count("services") == 1


async def test_schema_violation_is_raised_with_kong_fields(db: EntityDatabase) -> None:
    with pytest.raises(SchemaViolation) as info:
        await db.insert("services", {"name": "x", "host": "a.example:80"})
    assert info.value.to_kong()["fields"] == {"host": "must not have a port"}
    assert await db.count("services") == 0


async def test_update_merges_and_keeps_created_at(db: EntityDatabase) -> None:
    row = await db.insert("services", {"name": "svc", "host": "a.example", "tags": ["t1"]})
    updated = await db.update("services", "svc", {"retries": 2})
    assert updated["retries"] == 2 and updated["host"] == "a.example" and updated["tags"] == ["t1"]
    assert updated["created_at"] == row["created_at"]
    assert await db.select("services", row["id"]) == updated


async def test_update_of_a_missing_row_is_not_found(db: EntityDatabase) -> None:
    body = await _error(db.update("services", "ghost", {"retries": 1}))
    assert body["code"] == ErrorCode.NOT_FOUND and body["name"] == "not found"
    assert body["message"] == "could not find the entity with '{name=\"ghost\"}'"
    assert body["fields"] == {"name": "ghost"}
    ident = str(uuid.uuid4())
    body = await _error(db.update("services", ident, {"retries": 1}))
    assert body["message"] == f"could not find the entity with primary key '{{id=\"{ident}\"}}'"
    assert body["fields"] == {"id": ident}


async def test_rename_frees_the_old_name(db: EntityDatabase) -> None:
    await db.insert("services", {"name": "old", "host": "a.example"})
    await db.update("services", "old", {"name": "new"})
    assert await db.select("services", "old") is None
    await db.insert("services", {"name": "old", "host": "b.example"})
    assert await db.count("services") == 2


async def test_upsert_by_name_creates_then_replaces(db: EntityDatabase) -> None:
    created = await db.upsert("services", "by-put", {"host": "a.example", "retries": 3})
    assert created["name"] == "by-put" and created["retries"] == 3
    replaced = await db.upsert("services", "by-put", {"host": "b.example"})
    assert replaced["id"] == created["id"] and replaced["retries"] == 5 and replaced["host"] == "b.example"
    assert replaced["created_at"] == created["created_at"]
    explicit = str(uuid.uuid4())
    row = await db.upsert("services", explicit, {"host": "c.example", "name": "by-id"})
    assert row["id"] == explicit and (await db.select("services", "by-id")) == row


async def test_delete_returns_the_row_and_is_idempotent(db: EntityDatabase) -> None:
    row = await db.insert("consumers", {"username": "bob"})
    assert await db.delete("consumers", "bob") == row
    assert await db.delete("consumers", "bob") is None
    assert await db.select("consumers", row["id"]) is None


# -- pagination, tags, filters ------------------------------------------------------------------------------


async def test_pages_follow_id_order_with_opaque_offsets(db: EntityDatabase) -> None:
    ids = sorted([(await db.insert("consumers", {"username": f"user{i}"}))["id"] for i in range(7)])
    seen: list[str] = []
    offset: str | None = None
    pages = 0
    while True:
        page = await db.page("consumers", size=3, offset=offset)
        seen.extend(r["id"] for r in page.data)
        pages += 1
        if page.offset is None:
            break
        offset = page.offset
    assert seen == ids and pages == 3
    first = await db.page("consumers", size=7)
    assert first.offset is None and [r["id"] for r in first.data] == ids


async def test_bad_offset_and_size_use_kong_errors(db: EntityDatabase) -> None:
    body = await _error(db.page("services", offset="x"))
    assert body == {"code": 7, "name": "invalid offset", "message": "'x' is not a valid offset: bad base64 encoding"}
    body = await _error(db.page("services", size=0))
    assert body["code"] == 9 and body["name"] == "invalid size"


async def test_tags_filter_and_or(db: EntityDatabase) -> None:
    await db.insert("consumers", {"username": "a", "tags": ["red", "big"]})
    await db.insert("consumers", {"username": "b", "tags": ["red"]})
    await db.insert("consumers", {"username": "c", "tags": ["blue"]})
    await db.insert("consumers", {"username": "d"})

    async def names(tags: list[str], match: Any) -> list[str]:
        page = await db.page("consumers", tags=tags, tags_match=match)
        return sorted(r["username"] for r in page.data)

    assert await names(["red"], "and") == ["a", "b"]
    assert await names(["red", "big"], "and") == ["a"]
    assert await names(["big", "blue"], "or") == ["a", "c"]
    assert await names(["big", "blue"], "and") == []


async def test_tags_filter_pages_through_sparse_matches(db: EntityDatabase) -> None:
    for i in range(10):
        await db.insert("consumers", {"username": f"u{i}", "tags": ["even"] if i % 2 == 0 else ["odd"]})
    got: list[str] = []
    offset: str | None = None
    while True:
        page = await db.page("consumers", size=2, offset=offset, tags=["even"])
        got.extend(r["username"] for r in page.data)
        if page.offset is None:
            break
        offset = page.offset
    assert sorted(got) == ["u0", "u2", "u4", "u6", "u8"]


async def test_foreign_listing_and_where_filter(db: EntityDatabase) -> None:
    s1 = await db.insert("services", {"name": "s1", "host": "a.example"})
    await db.insert("services", {"name": "s2", "host": "b.example"})
    await db.insert("routes", {"name": "r1", "paths": ["/a"], "service": {"id": s1["id"]}})
    await db.insert("routes", {"name": "r2", "paths": ["/b"], "service": {"name": "s2"}, "strip_path": False})
    await db.insert("routes", {"name": "r3", "paths": ["/c"], "service": {"name": "s1"}})
    by_id = await db.page("routes", foreign={"service": s1["id"]})
    by_name = await db.page("routes", foreign={"service": "s1"})
    assert sorted(r["name"] for r in by_id.data) == ["r1", "r3"] == sorted(r["name"] for r in by_name.data)
    assert (await db.page("routes", foreign={"service": "nope"})).data == []
    not_stripping = await db.page("routes", where={"strip_path": False})
    assert [r["name"] for r in not_stripping.data] == ["r2"]
    named = await db.page("routes", where={"name": "r3"})
    assert [r["name"] for r in named.data] == ["r3"]
    body = await _error(db.page("routes", where={"bogus": 1}))
    assert body["code"] == ErrorCode.INVALID_OPTIONS


# -- constraints --------------------------------------------------------------------------------------------


async def test_unique_violation_has_kong_body(db: EntityDatabase) -> None:
    await db.insert("services", {"name": "foo", "host": "a.example"})
    body = await _error(db.insert("services", {"name": "foo", "host": "b.example"}))
    assert body == {
        "code": 5,
        "name": "unique constraint violation",
        "message": "UNIQUE violation detected on '{name=\"foo\"}'",
        "fields": {"name": "foo"},
    }
    other = await db.insert("services", {"name": "bar", "host": "b.example"})
    body = await _error(db.update("services", other["id"], {"name": "foo"}))
    assert body["code"] == 5 and body["fields"] == {"name": "foo"}
    assert await db.count("services") == 2


async def test_cache_key_uniqueness_of_plugins(db: EntityDatabase) -> None:
    svc = await db.insert("services", {"name": "s", "host": "a.example"})
    await db.insert("plugins", {"name": "key-auth", "service": {"id": svc["id"]}})
    await db.insert("plugins", {"name": "key-auth"})
    body = await _error(db.insert("plugins", {"name": "key-auth", "service": {"name": "s"}}))
    assert body["code"] == 5 and body["name"] == "unique constraint violation"
    assert body["fields"] == {"consumer": None, "name": "key-auth", "route": None, "service": {"id": svc["id"]}}
    assert body["message"] == (
        f'UNIQUE violation detected on \'{{consumer=null,name="key-auth",route=null,service={{id="{svc["id"]}"}}}}\''
    )


async def test_foreign_key_violation_has_kong_body(db: EntityDatabase) -> None:
    missing = str(uuid.uuid4())
    body = await _error(db.insert("routes", {"paths": ["/"], "service": {"id": missing}}))
    assert body == {
        "code": 4,
        "name": "foreign key violation",
        "message": f"the foreign key '{{id=\"{missing}\"}}' does not reference an existing 'services' entity.",
        "fields": {"service": {"id": missing}},
    }
    body = await _error(db.insert("routes", {"paths": ["/"], "service": {"name": "ghost"}}))
    assert body["code"] == 4 and body["fields"] == {"service": {"name": "ghost"}}
    assert "'{name=\"ghost\"}'" in body["message"]


async def test_delete_restricted_by_a_referencing_route(db: EntityDatabase) -> None:
    svc = await db.insert("services", {"name": "s", "host": "a.example"})
    await db.insert("routes", {"paths": ["/"], "service": {"id": svc["id"]}})
    body = await _error(db.delete("services", "s"))
    assert body == {
        "code": 4,
        "name": "foreign key violation",
        "message": "an existing 'routes' entity references this 'services' entity",
        "fields": {"@referenced_by": "routes"},
    }
    assert await db.select("services", "s") is not None


async def test_delete_cascades_to_plugins_targets_and_credentials(db: EntityDatabase) -> None:
    route = await db.insert("routes", {"name": "r", "paths": ["/"]})
    plugin = await db.insert("plugins", {"name": "cors", "route": {"id": route["id"]}})
    consumer = await db.insert("consumers", {"username": "bob"})
    cred = await db.insert("keyauth_credentials", {"key": "secret-1", "consumer": {"username": "bob"}})
    consumer_plugin = await db.insert("plugins", {"name": "acl", "consumer": {"id": consumer["id"]}})
    upstream = await db.insert("upstreams", {"name": "backend.internal"})
    target = await db.insert("targets", {"target": "10.0.0.1", "upstream": {"id": upstream["id"]}})
    events: list[ChangeEvent] = []
    db.subscribe(events.append)
    await db.delete("routes", "r")
    await db.delete("consumers", "bob")
    await db.delete("upstreams", upstream["id"])
    for entity, row in [("plugins", plugin), ("keyauth_credentials", cred), ("plugins", consumer_plugin)]:
        assert await db.select(entity, row["id"]) is None
    assert await db.select("targets", target["id"]) is None
    deleted = {(e.entity, e.row["id"]) for e in events if e.op == "delete"}
    assert ("plugins", plugin["id"]) in deleted and ("targets", target["id"]) in deleted
    assert ("keyauth_credentials", cred["id"]) in deleted


async def test_duplicate_primary_key_is_a_unique_violation(db: EntityDatabase) -> None:
    row = await db.insert("consumers", {"username": "a"})
    body = await _error(db.insert("consumers", {"id": row["id"], "username": "b"}))
    assert body["code"] == 5 and body["fields"] == {"id": row["id"]}


async def test_concurrent_inserts_of_one_name_leave_one_row(db: EntityDatabase) -> None:
    results = await asyncio.gather(
        *(db.insert("services", {"name": "race", "host": f"h{i}.example"}) for i in range(5)),
        return_exceptions=True,
    )
    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if isinstance(r, StoreError)]
    assert len(wins) == 1 and len(losses) == 4
    assert all(e.code == ErrorCode.UNIQUE_VIOLATION for e in losses)
    assert (await db.page("services", where={"name": "race"})).data == wins


# -- targets and certificates -------------------------------------------------------------------------------


async def test_targets_are_normalized_and_scoped_to_their_upstream(db: EntityDatabase) -> None:
    up1 = await db.insert("upstreams", {"name": "one.internal"})
    up2 = await db.insert("upstreams", {"name": "two.internal"})
    t1 = await db.insert("targets", {"target": "10.0.0.1", "upstream": {"name": "one.internal"}})
    assert t1["target"] == "10.0.0.1:8000"
    await db.insert("targets", {"target": "10.0.0.1:8000", "upstream": {"id": up2["id"]}})
    body = await _error(db.insert("targets", {"target": "10.0.0.1:8000", "upstream": {"id": up1["id"]}}))
    assert body["code"] == 5
    listed = await db.page("targets", foreign={"upstream": "one.internal"})
    assert [r["id"] for r in listed.data] == [t1["id"]]
    assert await db.select("targets", "10.0.0.1", foreign={"upstream": up1["id"]}) == t1
    assert await db.select("targets", "10.0.0.1:8000", foreign={"upstream": "two.internal"}) != t1
    upserted = await db.upsert("targets", "10.0.0.1", {"upstream": {"id": up1["id"]}, "weight": 5})
    assert upserted["id"] == t1["id"] and upserted["weight"] == 5


async def test_certificate_snis_shorthand_creates_and_replaces_sni_rows(db: EntityDatabase) -> None:
    cert_pem, key_pem = make_certificate()
    cert = await db.insert("certificates", {"cert": cert_pem, "key": key_pem, "snis": ["a.example", "b.example"]})
    assert cert["snis"] == ["a.example", "b.example"]
    sni = await db.select("snis", "a.example")
    assert sni is not None and sni["certificate"] == {"id": cert["id"]}
    updated = await db.update("certificates", cert["id"], {"snis": ["b.example", "c.example"]})
    assert updated["snis"] == ["b.example", "c.example"]
    assert await db.select("snis", "a.example") is None
    other_pem, other_key = make_certificate("other.example")
    with pytest.raises(SchemaViolation) as info:
        await db.insert("certificates", {"cert": other_pem, "key": other_key, "snis": ["c.example"]})
    assert info.value.fields == {"snis": [f"c.example already associated with existing certificate '{cert['id']}'"]}
    assert await db.count("certificates") == 1
    await db.delete("certificates", cert["id"])
    assert await db.count("snis") == 0


# -- events and versions ------------------------------------------------------------------------------------


async def test_change_events_and_config_version(db: EntityDatabase) -> None:
    events: list[ChangeEvent] = []
    async_events: list[str] = []

    async def async_listener(event: ChangeEvent) -> None:
        async_events.append(event.op)

    db.subscribe(events.append)
    db.subscribe(async_listener)
    v0 = await db.config_version()
    row = await db.insert("consumers", {"username": "ann"})
    v1 = await db.config_version()
    await db.update("consumers", "ann", {"custom_id": "c1"})
    v2 = await db.config_version()
    await db.delete("consumers", "ann")
    v3 = await db.config_version()
    assert v0 < v1 < v2 < v3
    assert [(e.entity, e.op) for e in events] == [
        ("consumers", "create"),
        ("consumers", "update"),
        ("consumers", "delete"),
    ]
    assert events[1].old == row and events[1].row["custom_id"] == "c1"
    assert async_events == ["create", "update", "delete"]
    with pytest.raises(StoreError):
        await db.insert("consumers", {"username": "x", "bogus": 1})
    assert await db.config_version() == v3 and len(events) == 3
    recorded = await db.events_since(v0)
    assert [v for v, _ in recorded] == [v1, v2, v3]
    assert all(e.channel == "invalidations" and e.node_id == db.node_id for _, e in recorded)


async def test_a_failing_listener_does_not_break_writes(db: EntityDatabase) -> None:
    def broken(event: ChangeEvent) -> None:
        raise RuntimeError("listener bug")

    db.subscribe(broken)
    row = await db.insert("consumers", {"username": "ok"})
    assert await db.select("consumers", "ok") == row


async def test_load_declarative_replaces_everything(db: EntityDatabase) -> None:
    await db.insert("consumers", {"username": "old"})
    schema = db.registry["consumers"]
    rows = [schema.insert({"username": "new1"}), schema.insert({"username": "new2"})]
    before = await db.config_version()
    await db.load_declarative({"consumers": rows})
    assert sorted(r["username"] for r in await db.all("consumers")) == ["new1", "new2"]
    assert await db.select("consumers", "old") is None and await db.select("consumers", "new1") == rows[0]
    assert await db.config_version() > before


async def test_a_ca_certificate_listed_by_a_service_cannot_be_deleted(db: EntityDatabase) -> None:
    from tests.helpers.certs import make_ca_certificate

    ca = await db.insert("ca_certificates", {"cert": make_ca_certificate()})
    svc = await db.insert("services", {"name": "tls", "url": "https://a.example", "ca_certificates": [ca["id"]]})
    body = await _error(db.delete("ca_certificates", ca["id"]))
    assert body["code"] == 4
    assert body["message"] == f"ca certificate {ca['id']} is still referenced by services (id = {svc['id']})"
    await db.update("services", "tls", {"ca_certificates": None})
    assert await db.delete("ca_certificates", ca["id"]) is not None


async def test_where_filters_integers(db: EntityDatabase) -> None:
    await db.insert("consumers", {"username": "proxy"})
    await db.insert("consumers", {"username": "dev", "type": 1})
    assert [r["username"] for r in (await db.page("consumers", where={"type": 0})).data] == ["proxy"]
    assert [r["username"] for r in (await db.page("consumers", where={"type": 1})).data] == ["dev"]
    unset = await db.page("consumers", where={"custom_id": None})
    assert sorted(r["username"] for r in unset.data) == ["dev", "proxy"]
