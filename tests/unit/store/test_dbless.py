"""DB-less (`off`) mode: reads work, entity writes are refused with Kong's 405 bodies, loads are atomic."""

from __future__ import annotations

import uuid

import pytest

from sekisho.errors import ErrorCode, StoreError
from sekisho.store.factory import open_database
from tests.contract.conftest import make_registry


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("insert", "cannot create 'services' entities when not using a database"),
        ("update", "cannot update 'services' entities by 'name' when not using a database"),
        ("upsert", "cannot create or update 'services' entities by 'name' when not using a database"),
        ("delete", "cannot remove 'services' entities by 'name' when not using a database"),
        ("delete-by-id", "cannot remove 'services' entities when not using a database"),
    ],
)
async def test_entity_writes_are_refused(call: str, message: str) -> None:
    db = open_database("off", registry=make_registry(), node_id=str(uuid.uuid4()))
    assert db.read_only and db.strategy == "off"
    with pytest.raises(StoreError) as info:
        if call == "insert":
            await db.insert("services", {"host": "a.example"})
        elif call == "delete":
            await db.delete("services", "x")
        elif call == "delete-by-id":
            await db.delete("services", str(uuid.uuid4()))
        elif call == "update":
            await db.update("services", "x", {})
        else:
            await db.upsert("services", "x", {})
    assert info.value.to_kong() == {"code": 12, "name": "operation unsupported", "message": message}
    assert info.value.code.http_status == 405


async def test_load_is_atomic_when_a_row_conflicts() -> None:
    registry = make_registry()
    db = open_database("off", registry=registry, node_id="n1")
    schema = registry["services"]
    first = schema.insert({"name": "kept", "host": "a.example"})
    await db.load_declarative({"services": [first]})
    version = await db.config_version()
    clash = [schema.insert({"name": "dup", "host": "a.example"}), schema.insert({"name": "dup", "host": "b.example"})]
    with pytest.raises(StoreError) as info:
        await db.load_declarative({"services": clash})
    assert info.value.code == ErrorCode.UNIQUE_VIOLATION
    assert [r["name"] for r in await db.all("services")] == ["kept"]
    assert await db.select("services", "kept") == first
    assert await db.config_version() == version
