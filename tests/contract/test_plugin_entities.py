"""Plugin-owned entities (credentials, ACLs) need no DDL: they work on every backend like core ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sekisho.entities import EntityRegistry
from sekisho.errors import StoreError
from sekisho.plugins.registry import PluginRegistry
from sekisho.store.dao import EntityDatabase
from sekisho.store.declarative import export_declarative, parse_document
from tests.contract.conftest import BACKENDS, PgSession, build_database
from tests.helpers.postgres import reset_public_schema


@pytest.fixture(scope="module")
def bundled_registry() -> EntityRegistry:
    plugins = PluginRegistry.load(["bundled"])
    return EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)


@pytest.fixture(params=BACKENDS)
async def pdb(
    request: pytest.FixtureRequest, tmp_path: Path, pg_session: PgSession, bundled_registry: EntityRegistry
) -> AsyncIterator[EntityDatabase]:
    if request.param == "postgres" and pg_session.dsn is not None:
        await reset_public_schema(pg_session.dsn)
    db = await build_database(request.param, tmp_path, pg_session, registry=bundled_registry)
    if request.param == "postgres":
        from sekisho.store.migrations import bootstrap

        await bootstrap(db)
    await db.connect()
    try:
        yield db
    finally:
        await db.close()


async def test_credentials_are_unique_and_cascade_with_their_consumer(pdb: EntityDatabase) -> None:
    bob = await pdb.insert("consumers", {"username": "bob"})
    cred = await pdb.insert("keyauth_credentials", {"consumer": {"username": "bob"}, "key": "k-1"})
    assert cred["consumer"] == {"id": bob["id"]}
    assert await pdb.select("keyauth_credentials", "k-1") == cred
    with pytest.raises(StoreError) as info:
        await pdb.insert("keyauth_credentials", {"consumer": {"id": bob["id"]}, "key": "k-1"})
    assert info.value.to_kong()["message"] == "UNIQUE violation detected on '{key=\"k-1\"}'"
    await pdb.insert("acls", {"consumer": {"id": bob["id"]}, "group": "admins"})
    with pytest.raises(StoreError) as info:
        await pdb.insert("acls", {"consumer": {"id": bob["id"]}, "group": "admins"})
    assert info.value.fields == {"consumer": {"id": bob["id"]}, "group": "admins"}
    basic = await pdb.insert(
        "basicauth_credentials", {"consumer": {"id": bob["id"]}, "username": "b", "password": "pw"}
    )
    assert basic["password"] != "pw"
    listed = await pdb.page("keyauth_credentials", foreign={"consumer": "bob"})
    assert [r["key"] for r in listed.data] == ["k-1"]
    await pdb.delete("consumers", "bob")
    for entity in ("keyauth_credentials", "acls", "basicauth_credentials"):
        assert await pdb.count(entity) == 0


async def test_declarative_round_trip_keeps_password_hashes(pdb: EntityDatabase) -> None:
    doc = {
        "_format_version": "3.0",
        "consumers": [
            {
                "username": "alice",
                "keyauth_credentials": [{"key": "alice-key"}],
                "basicauth_credentials": [{"username": "alice", "password": "s3cret"}],
                "acls": [{"group": "admins"}, {"group": "ops"}],
            }
        ],
    }
    parsed = await parse_document(doc, pdb.registry)
    await pdb.load_declarative(parsed.entities)
    exported = await export_declarative(pdb)
    alice = exported["consumers"][0]
    assert sorted(a["group"] for a in alice["acls"]) == ["admins", "ops"]
    assert alice["basicauth_credentials"][0]["password"] != "s3cret"
    again = await parse_document(exported, pdb.registry)
    assert dict(again.entities) == dict(parsed.entities)
