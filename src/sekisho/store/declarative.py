"""Declarative configuration (kong.yml): parse and validate, export, and import into a database.

A document is validated by loading it into a scratch writable memory Database: the DAO then applies
exactly the rules the Admin API applies (schemas, endpoint-key references, unique and foreign keys), and
errors are put back at the position of the offending item, so `fields` mirrors the input structure
(`{"services": [{"routes": [{"paths": [...]}]}]}`). Rows without an `id` get a uuid5 over the entity and its
endpoint key (or cache key, or content), so loading the same file twice gives the same ids.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import yaml

from sekisho.entities import EntityRegistry
from sekisho.errors import DeclarativeError, SchemaViolation, StoreError, flatten_field_errors
from sekisho.schema import EntitySchema, Foreign
from sekisho.store.base import Database, Row
from sekisho.store.dao import EntityDatabase, is_uuid
from sekisho.store.memory import MemoryBackend

__all__ = [
    "FORMAT_VERSIONS",
    "DeclarativeService",
    "ParsedConfig",
    "check_declarative",
    "db_import",
    "decode_document",
    "export_declarative",
    "export_yaml",
    "parse_declarative",
    "parse_document",
]

FORMAT_VERSIONS = ("1.1", "2.1", "3.0")
EXPORT_FORMAT_VERSION = "3.0"
MAX_DOCUMENT_NODES = 1_000_000
_META_KEYS = ("_format_version", "_transform", "_workspace", "_comment", "_info")
_ID_NAMESPACE = uuid.UUID("6f1e2a8c-53b4-4f3e-9a57-5e6b1c0d7a21")

Path = tuple[str | int, ...]
T = TypeVar("T")
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class ParsedConfig:
    """A validated declarative configuration: rows per entity (dependency order) and the document's hash."""

    entities: Mapping[str, list[Row]]
    config_hash: str


# -- decoding --------------------------------------------------------------------------------------------


def decode_document(document: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """YAML or JSON text (or an already decoded mapping) into a dict; DeclarativeError when unreadable."""
    if isinstance(document, Mapping):
        decoded: Any = dict(document)
    else:
        text = document.decode("utf-8", errors="replace") if isinstance(document, bytes) else document
        try:
            decoded = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_YAML_LOADER)
        except (ValueError, yaml.YAMLError) as exc:
            raise DeclarativeError({}, f"failed parsing declarative configuration: {_short(exc)}") from None
    if not isinstance(decoded, dict):
        raise DeclarativeError({}, "failed parsing declarative configuration: expected an object")
    _check_size(decoded)
    return decoded


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _check_size(document: Any) -> None:
    """YAML anchors can make a small text expand enormously: cap the number of nodes walked."""
    stack = [document]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_DOCUMENT_NODES:
            raise DeclarativeError({}, "failed parsing declarative configuration: document too large")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def config_hash(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest()


# -- parsing ---------------------------------------------------------------------------------------------


def _nest_field(child: EntitySchema, parent: str) -> str | None:
    """The foreign key of `child` a nested `parent[].<child>[]` list sets, when it is unambiguous."""
    fields = [name for name, fld in child.foreign_keys().items() if fld.reference == parent]
    return fields[0] if len(fields) == 1 else None


class _Parser:
    def __init__(self, registry: EntityRegistry) -> None:
        self.registry = registry
        self.items: dict[str, list[tuple[Path, dict[str, Any]]]] = {name: [] for name in registry.names()}
        self.errors: dict[str, Any] = {}
        self.generated: set[tuple[str, str]] = set()

    def error(self, path: Path, message: Any) -> None:
        _place(self.errors, path, message)

    def collect(self, document: Mapping[str, Any]) -> None:
        version = document.get("_format_version")
        if version is None:
            self.error(("_format_version",), "required field missing")
        elif not isinstance(version, str) or version not in FORMAT_VERSIONS:
            self.error(("_format_version",), "expected one of: " + ", ".join(FORMAT_VERSIONS))
        if "_transform" in document and not isinstance(document["_transform"], bool):
            self.error(("_transform",), "expected a boolean")
        if "_workspace" in document and not isinstance(document["_workspace"], str):
            self.error(("_workspace",), "expected a string")
        for key, value in document.items():
            if key in _META_KEYS:
                continue
            if key not in self.registry:
                self.error((str(key),), "unknown field")
                continue
            self._collect_list(key, value, (key,), None)

    def _collect_list(self, entity: str, value: Any, path: Path, parent: tuple[str, str, str] | None) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.error(path, "expected an array")
            return
        schema = self.registry[entity]
        for index, raw in enumerate(value):
            item_path = (*path, index)
            if isinstance(raw, str) and schema.endpoint_key is not None:
                raw = {schema.endpoint_key: raw}  # `snis: [a.example]` style shorthand
            if not isinstance(raw, dict):
                self.error(item_path, "expected a record")
                continue
            item = dict(raw)
            children: list[tuple[str, Any]] = []
            for key in list(item):
                if key in self.registry and key not in schema.fields and _nest_field(self.registry[key], entity):
                    children.append((key, item.pop(key)))
            if parent is not None:
                item[parent[0]] = {"id": parent[2]}
            self._normalize_references(schema, item)
            if item.get("id") is None:
                item["id"] = stable_id(schema, item)
                self.generated.add((entity, item["id"]))
            elif isinstance(item["id"], str):
                item["id"] = item["id"].lower()
            self.items[entity].append((item_path, item))
            for child_entity, child_value in children:
                nest = _nest_field(self.registry[child_entity], entity)
                assert nest is not None
                self._collect_list(
                    child_entity, child_value, (*item_path, child_entity), (nest, entity, str(item["id"]))
                )

    def _normalize_references(self, schema: EntitySchema, item: dict[str, Any]) -> None:
        """`service: my-svc` or `service: <uuid>` become the `{"name": ...}` / `{"id": ...}` the DAO resolves."""
        for name, fld in schema.foreign_keys().items():
            value = item.get(name)
            if not isinstance(value, str):
                continue
            if is_uuid(value):
                item[name] = {"id": value.lower()}
                continue
            key = self.registry[fld.reference].endpoint_key
            item[name] = {key: value} if key is not None else value


def stable_id(schema: EntitySchema, item: Mapping[str, Any]) -> str:
    """uuid5 over the entity and its endpoint key, else its cache key, else its whole content."""
    key = schema.endpoint_key
    if key is not None and schema.fields[key].unique and isinstance(item.get(key), str | int):
        basis: Any = [key, item[key]]
    elif schema.cache_key:
        basis = ["cache_key", [item.get(name) for name in schema.cache_key]]
    else:
        basis = ["content", {k: v for k, v in item.items() if k != "id"}]
    text = json.dumps([schema.name, basis], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return str(uuid.uuid5(_ID_NAMESPACE, text))


def _place(errors: dict[str, Any], path: Path, message: Any) -> None:
    """Put `message` at `path` inside the nested error structure (lists with None holes, like Kong)."""
    node: Any = errors
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        nxt: Any = path[depth + 1] if not last else None
        if isinstance(node, dict):
            key = str(step)
            if last:
                _merge_into(node, key, message)
                return
            if not isinstance(node.get(key), list | dict):
                node[key] = [] if isinstance(nxt, int) else {}
            node = node[key]
        else:
            assert isinstance(step, int)
            while len(node) <= step:
                node.append(None)
            if last:
                _merge_list_item(node, step, message)
                return
            if not isinstance(node[step], dict):
                node[step] = _as_entity_errors(node[step])
            node = node[step]


def _as_entity_errors(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    return {"@entity": [value]}


def _merge_into(node: dict[str, Any], key: str, message: Any) -> None:
    if key not in node or node[key] is None:
        node[key] = message
    elif isinstance(node[key], dict) and isinstance(message, dict):
        node[key].update(message)
    else:
        node[key] = message


def _merge_list_item(node: list[Any], index: int, message: Any) -> None:
    current = node[index]
    if current is None:
        node[index] = message
        return
    merged = _as_entity_errors(current)
    for key, value in _as_entity_errors(message).items():
        if key == "@entity":
            merged.setdefault("@entity", []).extend(value)
        else:
            merged[key] = value
    node[index] = merged


async def parse_document(document: str | bytes | Mapping[str, Any], registry: EntityRegistry) -> ParsedConfig:
    """Validate a declarative configuration; rows per entity (dependency order), or DeclarativeError."""
    decoded = decode_document(document)
    parser = _Parser(registry)
    parser.collect(decoded)
    scratch = EntityDatabase(MemoryBackend("memory"), registry, node_id="declarative")
    for entity in registry.names():
        for path, item in parser.items[entity]:
            try:
                await scratch.insert(entity, item)
            except SchemaViolation as exc:
                parser.error(path, exc.fields)
            except StoreError as exc:
                generated = (entity, item["id"]) in parser.generated
                parser.error(path, {"@entity": [_declarative_message(registry[entity], item, exc, generated)]})
    if parser.errors:
        raise DeclarativeError(parser.errors)
    entities: dict[str, list[Row]] = {}
    for entity in registry.names():
        rows = await scratch.all(entity)
        if rows:
            entities[entity] = rows
    return ParsedConfig(entities, config_hash(decoded))


def _declarative_message(schema: EntitySchema, item: Mapping[str, Any], exc: StoreError, generated_id: bool) -> str:
    if exc.code == 5 and isinstance(exc.fields, dict) and len(exc.fields) == 1:
        ((key, value),) = exc.fields.items()
        endpoint_key = schema.endpoint_key
        if key == "id" and generated_id and endpoint_key is not None and item.get(endpoint_key) is not None:
            key, value = endpoint_key, item[endpoint_key]  # the generated id derives from it
        return f"uniqueness violation: '{schema.name}' entity with {key} set to '{value}' already declared"
    return exc.message


def parse_declarative(document: str | bytes | Mapping[str, Any], registry: EntityRegistry) -> dict[str, list[Row]]:
    """`parse_document` for synchronous callers (start-up code, the CLI), also from inside an event loop."""
    return dict(_run_to_completion(parse_document(document, registry)).entities)


def _run_to_completion(coro: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never waits on I/O (the scratch memory Database never suspends)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    coro.close()
    raise RuntimeError("declarative parsing suspended unexpectedly")


async def check_declarative(document: str | bytes | Mapping[str, Any], registry: EntityRegistry) -> list[str]:
    """`config parse`: every problem as `path: message` (empty when the configuration is valid)."""
    try:
        await parse_document(document, registry)
    except DeclarativeError as exc:
        flat = flatten_field_errors(exc.fields) if exc.fields else []
        return flat or [exc.message]
    return []


# -- export and import -----------------------------------------------------------------------------------


def _export_value(schema: EntitySchema, name: str, value: Any) -> Any:
    fld = schema.fields.get(name)
    if isinstance(fld, Foreign) and isinstance(value, dict):
        return value.get("id")
    return value


def _keep(schema: EntitySchema, name: str, value: Any) -> bool:
    if value is not None:
        return True
    fld = schema.fields.get(name)
    return fld is not None and fld.default_value() is not None  # an explicit null that differs from the default


async def export_declarative(db: Database) -> dict[str, Any]:
    """The whole configuration, nested like `config db_export` (children under their single parent)."""
    registry = db.registry
    out: dict[str, Any] = {"_format_version": EXPORT_FORMAT_VERSION, "_transform": False}
    exported: dict[tuple[str, str], dict[str, Any]] = {}
    for schema in registry:
        rows = await db.all(schema.name)
        for row in rows:
            item = {k: _export_value(schema, k, v) for k, v in row.items() if _keep(schema, k, v) and k != "snis"}
            parent_slot = _parent_slot(schema, row, exported)
            if parent_slot is not None:
                field_name, parent_item = parent_slot
                item.pop(field_name, None)
                parent_item.setdefault(schema.name, []).append(item)
            else:
                out.setdefault(schema.name, []).append(item)
            exported[(schema.name, str(row["id"]))] = item
    return out


def _parent_slot(
    schema: EntitySchema, row: Row, exported: Mapping[tuple[str, str], dict[str, Any]]
) -> tuple[str, dict[str, Any]] | None:
    present = [(name, fld) for name, fld in schema.foreign_keys().items() if isinstance(row.get(name), dict)]
    if len(present) != 1:
        return None
    name, fld = present[0]
    if _nest_field(schema, fld.reference) != name:
        return None
    parent = exported.get((fld.reference, str(row[name]["id"])))
    return None if parent is None else (name, parent)


async def export_yaml(db: Database) -> str:
    return str(yaml.safe_dump(await export_declarative(db), sort_keys=False, allow_unicode=True))


async def db_import(db: Database, document: str | bytes | Mapping[str, Any]) -> dict[str, int]:
    """`config db_import`: validate, then upsert every row by id (existing rows not in the file stay)."""
    parsed = await parse_document(document, db.registry)
    counts: dict[str, int] = {}
    for entity, rows in parsed.entities.items():
        for row in rows:
            await db.upsert(entity, str(row["id"]), row)
        counts[entity] = len(rows)
    return counts


class DeclarativeService:
    """DB-less `/config` for the Admin API: parse, load and export, remembering the loaded hash."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._hash: str | None = None

    async def parse(self, document: str | Mapping[str, Any]) -> ParsedConfig:
        return await parse_document(document, self.db.registry)

    async def load(self, parsed: ParsedConfig) -> None:
        await self.db.load_declarative(parsed.entities)
        self._hash = parsed.config_hash

    async def export(self) -> str:
        return await export_yaml(self.db)

    def current_hash(self) -> str | None:
        return self._hash

    def remember(self, hash_value: str | None) -> None:
        """Record the hash of a configuration loaded outside `/config` (start-up file)."""
        self._hash = hash_value
