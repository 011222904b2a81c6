"""Declarative parsing: versions, nesting, references, stable ids and errors that mirror the input."""

from __future__ import annotations

from typing import Any

import pytest

from sekisho.errors import DeclarativeError
from sekisho.store.declarative import check_declarative, parse_declarative, parse_document
from tests.contract.conftest import make_registry


async def _errors(document: Any) -> DeclarativeError:
    with pytest.raises(DeclarativeError) as info:
        await parse_document(document, make_registry())
    assert info.value.code == 14 and info.value.to_kong()["name"] == "invalid declarative configuration"
    return info.value


@pytest.mark.parametrize("version", ["1.1", "2.1", "3.0"])
async def test_every_supported_format_version_parses(version: str) -> None:
    parsed = await parse_document({"_format_version": version, "consumers": [{"username": "a"}]}, make_registry())
    assert [r["username"] for r in parsed.entities["consumers"]] == ["a"]


async def test_format_version_is_required_and_checked() -> None:
    assert (await _errors({"services": []})).fields == {"_format_version": "required field missing"}
    assert (await _errors({"_format_version": "9.9"})).fields == {"_format_version": "expected one of: 1.1, 2.1, 3.0"}


async def test_unknown_top_level_key_and_meta_keys() -> None:
    assert (await _errors({"_format_version": "3.0", "servcies": []})).fields == {"servcies": "unknown field"}
    parsed = await parse_document(
        {"_format_version": "3.0", "_transform": False, "_workspace": "default"}, make_registry()
    )
    assert dict(parsed.entities) == {}


async def test_nested_errors_mirror_the_input_structure() -> None:
    doc = {
        "_format_version": "3.0",
        "services": [
            {"name": "ok", "host": "a.example"},
            {"name": "bad", "host": "b.example", "routes": [{"paths": ["/fine"]}, {"paths": ["nope"]}]},
        ],
    }
    error = await _errors(doc)
    assert error.fields == {
        "services": [None, {"routes": [None, {"paths": ["should start with: / (fixed path) or ~/ (regex path)"]}]}]
    }
    assert error.message.startswith("declarative config is invalid: ")
    flat = await check_declarative(doc, make_registry())
    assert flat == ["services.2.routes.2.paths.1: should start with: / (fixed path) or ~/ (regex path)"]


async def test_duplicates_and_dangling_references_are_reported_where_they_are() -> None:
    doc = {
        "_format_version": "2.1",
        "services": [{"name": "dup", "host": "a.example"}, {"name": "dup", "host": "b.example"}],
        "routes": [{"paths": ["/"], "service": "ghost"}],
    }
    error = await _errors(doc)
    assert error.fields["services"][0] is None
    assert error.fields["services"][1] == {
        "@entity": ["uniqueness violation: 'services' entity with name set to 'dup' already declared"]
    }
    assert error.fields["routes"][0]["@entity"] == [
        "the foreign key '{name=\"ghost\"}' does not reference an existing 'services' entity."
    ]


async def test_ids_are_stable_across_parses_and_explicit_ids_kept() -> None:
    doc = """
    _format_version: "3.0"
    services:
      - name: svc
        host: a.example
        routes:
          - paths: [/a]
        plugins:
          - name: cors
    consumers:
      - custom_id: only-custom
      - id: 3F2B1C4D-0000-4000-8000-000000000001
        username: explicit
    """
    first = parse_declarative(doc, make_registry())
    second = parse_declarative(doc, make_registry())
    for entity in ("services", "routes", "plugins", "consumers"):
        assert [r["id"] for r in first[entity]] == [r["id"] for r in second[entity]]
    assert "3f2b1c4d-0000-4000-8000-000000000001" in [r["id"] for r in first["consumers"]]
    assert first["routes"][0]["service"] == {"id": first["services"][0]["id"]}
    assert first["plugins"][0]["service"] == {"id": first["services"][0]["id"]}


async def test_unreadable_documents() -> None:
    error = await _errors("services: [unclosed")
    assert error.message.startswith("failed parsing declarative configuration: ")
    error = await _errors("- just\n- a list\n")
    assert error.message == "failed parsing declarative configuration: expected an object"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    error = await _errors(bomb)
    assert error.message == "failed parsing declarative configuration: document too large"


def test_sync_parse_works_inside_a_running_loop() -> None:
    import asyncio

    async def inside() -> dict[str, Any]:
        return parse_declarative({"_format_version": "3.0", "consumers": [{"username": "z"}]}, make_registry())

    assert [r["username"] for r in asyncio.run(inside())["consumers"]] == ["z"]
