"""`EntityDatabase`: Kong's DAO over any `Backend` — one place for endpoint keys, validation, unique and
foreign keys, cascades, the certificates' write-only `snis`, change events and Kong's error messages."""

from __future__ import annotations

import inspect
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sekisho.entities import EntityRegistry
from sekisho.entities.upstreams import normalize_target
from sekisho.errors import ErrorCode, SchemaViolation, StoreError
from sekisho.schema import EntitySchema, Foreign
from sekisho.store.backend import (
    Backend,
    ClusterEvent,
    PageQuery,
    RowIndex,
    Txn,
    UniqueConflict,
    decode_offset,
    encode_offset,
)
from sekisho.store.base import ChangeEvent, ChangeListener, Page, Row

__all__ = ["MAX_PAGE_SIZE", "EntityDatabase", "lua_table"]

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000
INVALIDATIONS_CHANNEL = "invalidations"
DECLARATIVE_CHANNEL = "declarative:flip_config"
_EVENT_TTL_SECONDS = 86400
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Kong's PostgreSQL schema deletes a certificate's SNIs with it (ON DELETE CASCADE on snis.certificate_id),
# although the Lua schema leaves the foreign key at its default.
_STORAGE_CASCADES = {("snis", "certificate")}

# Arrays of ids that reference another entity without being foreign keys (Kong refuses to delete a CA
# certificate a service still lists).
_ARRAY_REFERENCES = {("services", "ca_certificates"): "ca_certificates"}

_Reader = Txn | Backend


def is_uuid(value: str) -> bool:
    return _UUID_RE.match(value) is not None


def lua_table(values: Mapping[str, Any]) -> str:
    """Kong prints keys in messages as Lua tables: `{name="foo"}`, `{id="…"}`."""
    return "{" + ",".join(f"{k}={_lua_value(v)}" for k, v in values.items()) + "}"


def _lua_value(value: Any) -> str:
    if isinstance(value, dict):
        return lua_table(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _canonical(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"id"}:
        return str(value["id"])
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def unique_values(schema: EntitySchema, row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (key, canonical value) pairs a row claims: each unique field, plus the `cache_key` combination."""
    out: list[tuple[str, str]] = []
    for key in schema.unique_keys():
        if len(key.fields) == 1 and schema.fields[key.fields[0]].unique:
            value = row.get(key.fields[0])
            if value is not None:
                out.append((key.fields[0], _canonical(value)))
        else:
            out.append(("cache_key", cache_key(schema, row)))
    return list(dict.fromkeys(out))


def cache_key(schema: EntitySchema, row: Mapping[str, Any]) -> str:
    """Kong's `<entity>:<v1>:<v2>…` cache key; empty parts for nulls, ids for foreign keys."""
    parts = [schema.name]
    for name in schema.cache_key or ():
        value = row.get(name)
        parts.append("" if value is None else _canonical(value))
    return ":".join(parts)


def index_row(schema: EntitySchema, row: Mapping[str, Any]) -> RowIndex:
    refs: list[tuple[str, str, str]] = []
    for name, fld in schema.foreign_keys().items():
        value = row.get(name)
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            refs.append((name, fld.reference, value["id"]))
    for (entity, name), reference in _ARRAY_REFERENCES.items():
        values = row.get(name) if schema.name == entity else None
        if isinstance(values, list):
            refs.extend((f"{name}.{i}", reference, v.lower()) for i, v in enumerate(values) if isinstance(v, str))
    tags = row.get("tags") or []
    return RowIndex(unique=unique_values(schema, row), tags=[t for t in tags if isinstance(t, str)], refs=refs)


class EntityDatabase:
    """The `sekisho.store.base.Database` implementation shared by every backend."""

    def __init__(self, backend: Backend, registry: EntityRegistry, *, node_id: str, read_only: bool = False) -> None:
        self.registry = registry
        self.backend = backend
        self.node_id = node_id
        self._read_only = read_only
        self._listeners: list[ChangeListener] = []

    @property
    def strategy(self) -> str:
        return self.backend.strategy

    @property
    def read_only(self) -> bool:
        return self._read_only

    async def connect(self) -> None:
        await self.backend.connect()

    async def close(self) -> None:
        await self.backend.close()

    async def is_reachable(self) -> bool:
        return await self.backend.is_reachable()

    def subscribe(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    async def shared_secret(self, name: str) -> bytes:
        """32 random bytes shared by every process and node using this database, created on first use.

        Kept beside the entities under a reserved name no schema uses; the first writer wins a concurrent
        creation (a unique key makes the loser re-read), so all nodes end up with the same value."""
        entity = "_shared_secrets"

        async def read() -> Row | None:
            ident = await self.backend.find_unique(entity, "name", name)
            return await self.backend.get(entity, ident) if ident is not None else None

        row = await read()
        if row is None:
            # Each attempt uses a fresh id, so a concurrent creator collides on the unique name, never replaces.
            candidate = {"id": str(uuid.uuid4()), "name": name, "value": secrets.token_hex(32)}
            try:
                async with self.backend.transaction() as txn:
                    if await txn.find_unique(entity, "name", name) is None:
                        await txn.put(entity, candidate, RowIndex(unique=[("name", name)]))
            except UniqueConflict:
                pass
            row = await read()
        if row is None or not isinstance(row.get("value"), str):
            raise StoreError(ErrorCode.DATABASE_ERROR, f"shared secret {name!r} could not be stored")
        return bytes.fromhex(row["value"])

    async def config_version(self) -> int:
        return await self.backend.config_version()

    async def events_since(self, version: int, limit: int = 1000) -> list[tuple[int, ClusterEvent]]:
        """Cluster events newer than `version` (for multi-node invalidation polling)."""
        return await self.backend.events_since(version, limit)

    # -- reads ----------------------------------------------------------------------------------------
    def schema(self, entity: str) -> EntitySchema:
        schema = self.registry.get(entity)
        if schema is None:
            raise KeyError(f"unknown entity '{entity}'")
        return schema

    async def select(self, entity: str, ident: str, *, foreign: Mapping[str, str] | None = None) -> Row | None:
        """By id or endpoint key. `foreign` scopes endpoint keys that are unique only within a parent
        (targets: `select("targets", "10.0.0.1:80", foreign={"upstream": <id or name>})`)."""
        schema = self.schema(entity)
        row_id = await self._resolve_ident(self.backend, schema, ident, foreign)
        if row_id is None:
            return None
        row = await self.backend.get(entity, row_id)
        if row is not None and foreign is not None and not await self._belongs(schema, row, foreign):
            return None
        return None if row is None else await self._decorate(entity, row)

    async def select_by(self, entity: str, field: str, value: Any) -> Row | None:
        schema = self.schema(entity)
        if field == "id":
            return await self.select(entity, str(value)) if isinstance(value, str) and is_uuid(value) else None
        fld = schema.fields.get(field)
        if fld is None or not fld.unique:
            raise StoreError(ErrorCode.INVALID_UNIQUE, f"'{field}' is not a unique field of '{entity}'")
        if isinstance(fld, Foreign) and isinstance(value, str):
            value = {"id": value}
        row_id = await self.backend.find_unique(entity, field, _canonical(value))
        if row_id is None:
            return None
        row = await self.backend.get(entity, row_id)
        return None if row is None else await self._decorate(entity, row)

    async def page(
        self,
        entity: str,
        *,
        size: int = 100,
        offset: str | None = None,
        tags: Sequence[str] | None = None,
        tags_match: Literal["and", "or"] = "and",
        foreign: Mapping[str, str] | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Page:
        schema = self.schema(entity)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
            raise StoreError(ErrorCode.INVALID_SIZE, f"size must be an integer between 1 and {MAX_PAGE_SIZE}")
        after = decode_offset(offset) if offset is not None else None
        foreign_filter: tuple[str, str] | None = None
        if foreign:
            if len(foreign) != 1:
                raise StoreError(ErrorCode.INVALID_OPTIONS, "only one foreign key filter is supported")
            ((fname, fident),) = foreign.items()
            fld = schema.fields.get(fname)
            if not isinstance(fld, Foreign):
                raise StoreError(ErrorCode.INVALID_OPTIONS, f"'{fname}' is not a foreign key of '{entity}'")
            parent_id = await self._resolve_ident(self.backend, self.schema(fld.reference), fident, None)
            if parent_id is None:
                return Page([], None)
            foreign_filter = (fname, parent_id)
        filters: list[tuple[str, Any]] = []
        for fname, value in (where or {}).items():
            if fname not in schema.fields or isinstance(schema.fields[fname], Foreign):
                raise StoreError(ErrorCode.INVALID_OPTIONS, f"cannot filter '{entity}' on '{fname}'")
            if value is not None and not isinstance(value, str | int | float | bool):
                raise StoreError(ErrorCode.INVALID_OPTIONS, f"filter on '{fname}' must be a scalar")
            filters.append((fname, value))
        query = PageQuery(
            entity=entity,
            size=size + 1,
            after=after,
            tags=list(tags or ()),
            tags_match=tags_match,
            foreign=foreign_filter,
            where=filters,
        )
        rows = await self.backend.page(query)
        next_offset = encode_offset(str(rows[size - 1]["id"])) if len(rows) > size else None
        data = [await self._decorate(entity, row) for row in rows[:size]]
        return Page(data, next_offset)

    async def all(self, entity: str) -> list[Row]:
        self.schema(entity)
        return [row async for row in self.backend.iterate(entity)]

    async def count(self, entity: str) -> int:
        self.schema(entity)
        return await self.backend.count(entity)

    # -- writes ---------------------------------------------------------------------------------------
    async def insert(self, entity: str, data: Mapping[str, Any]) -> Row:
        schema = self.schema(entity)
        self._refuse_if_read_only("create", entity)
        data, snis = self._split_snis(schema, data)
        if isinstance(data.get("id"), str):
            data["id"] = data["id"].lower()
        events: list[ChangeEvent] = []
        async with self.backend.transaction() as txn:
            data = await self._prepare(txn, schema, data)
            row = schema.insert(data)
            await self._check_foreign_keys(txn, schema, row)
            if await txn.get(entity, row["id"]) is not None:
                raise _unique_violation({"id": row["id"]})
            await self._put(txn, schema, row)
            events.append(ChangeEvent(entity, "create", row))
            if snis is not None:
                await self._replace_snis(txn, row["id"], snis, events)
            await self._publish(txn, events)
        await self._notify(events)
        return await self._decorate(entity, row)

    async def update(self, entity: str, ident: str, patch: Mapping[str, Any]) -> Row:
        schema = self.schema(entity)
        self._refuse_if_read_only("update", entity, ident)
        patch, snis = self._split_snis(schema, patch)
        events: list[ChangeEvent] = []
        async with self.backend.transaction() as txn:
            row_id = await self._resolve_ident(txn, schema, ident, None)
            existing = await txn.get(entity, row_id) if row_id is not None else None
            if existing is None:
                raise _not_found(schema, ident)
            patch = await self._prepare(txn, schema, patch)
            row = schema.update(existing, patch)
            await self._check_foreign_keys(txn, schema, row)
            await self._put(txn, schema, row)
            events.append(ChangeEvent(entity, "update", row, existing))
            if snis is not None:
                await self._replace_snis(txn, row["id"], snis, events)
            await self._publish(txn, events)
        await self._notify(events)
        return await self._decorate(entity, row)

    async def upsert(self, entity: str, ident: str, data: Mapping[str, Any]) -> Row:
        schema = self.schema(entity)
        self._refuse_if_read_only("create or update", entity, ident)
        data, snis = self._split_snis(schema, data)
        events: list[ChangeEvent] = []
        async with self.backend.transaction() as txn:
            data = await self._prepare(txn, schema, data)
            if is_uuid(ident):
                row_id: str | None = ident.lower()
            else:
                if schema.endpoint_key is None:
                    raise StoreError(
                        ErrorCode.INVALID_PRIMARY_KEY, f"invalid primary key: '{lua_table({'id': ident})}'"
                    )
                data[schema.endpoint_key] = ident
                if schema.name == "targets":
                    data["target"] = normalize_target(ident)
                row_id = await self._find_by_endpoint_key(txn, schema, data)
            existing = await txn.get(entity, row_id) if row_id is not None else None
            row = schema.replace(row_id or str(uuid.uuid4()), data, existing)
            await self._check_foreign_keys(txn, schema, row)
            await self._put(txn, schema, row)
            events.append(ChangeEvent(entity, "update" if existing else "create", row, existing))
            if snis is not None:
                await self._replace_snis(txn, row["id"], snis, events)
            await self._publish(txn, events)
        await self._notify(events)
        return await self._decorate(entity, row)

    async def delete(self, entity: str, ident: str) -> Row | None:
        schema = self.schema(entity)
        self._refuse_if_read_only("remove", entity, ident)
        events: list[ChangeEvent] = []
        async with self.backend.transaction() as txn:
            row_id = await self._resolve_ident(txn, schema, ident, None)
            existing = await txn.get(entity, row_id) if row_id is not None else None
            if existing is None or row_id is None:
                return None
            await self._delete_tree(txn, entity, row_id, existing, events, set())
            await self._publish(txn, events)
        await self._notify(events)
        return existing

    async def load_declarative(self, entities: Mapping[str, list[Row]]) -> None:
        """Replace everything atomically with validated rows (allowed in DB-less mode: it is how it loads)."""
        batches = [(self.schema(name), rows) for name, rows in entities.items()]
        async with self.backend.transaction() as txn:
            await txn.clear()
            for schema, rows in batches:
                for row in rows:
                    await self._put(txn, schema, row)
            version = await txn.publish([self._cluster_event(DECLARATIVE_CHANNEL, {"entities": sorted(entities)})])
        await self._notify([ChangeEvent("declarative", "update", {"config_version": version})])

    # -- helpers --------------------------------------------------------------------------------------
    def _refuse_if_read_only(self, operation: str, entity: str, ident: str | None = None) -> None:
        if not self._read_only:
            return
        key = self.schema(entity).endpoint_key
        by = f" by '{key}'" if ident is not None and key is not None and not is_uuid(ident) else ""
        raise StoreError(
            ErrorCode.OPERATION_UNSUPPORTED, f"cannot {operation} '{entity}' entities{by} when not using a database"
        )

    @staticmethod
    def _split_snis(schema: EntitySchema, data: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
        out = dict(data)
        if schema.name != "certificates":
            return out, None
        return out, out.pop("snis", None)

    async def _resolve_ident(
        self, reader: _Reader, schema: EntitySchema, ident: str, foreign: Mapping[str, str] | None
    ) -> str | None:
        if is_uuid(ident):
            return ident.lower()
        key = schema.endpoint_key
        if key is None:
            return None
        fld = schema.fields[key]
        if fld.unique:
            return await reader.find_unique(schema.name, key, ident)
        if schema.name == "targets":
            ident = normalize_target(ident)
        if foreign and schema.cache_key and key in schema.cache_key:
            probe: dict[str, Any] = {key: ident}
            for fname, fident in foreign.items():
                fref = schema.fields.get(fname)
                if not isinstance(fref, Foreign):
                    return None
                parent = await self._resolve_ident(reader, self.schema(fref.reference), fident, None)
                if parent is None:
                    return None
                probe[fname] = {"id": parent}
            return await self._find_by_endpoint_key(reader, schema, probe)
        return None

    async def _find_by_endpoint_key(self, reader: _Reader, schema: EntitySchema, data: Mapping[str, Any]) -> str | None:
        key = schema.endpoint_key
        assert key is not None
        if schema.fields[key].unique:
            value = data.get(key)
            return None if value is None else await reader.find_unique(schema.name, key, _canonical(value))
        if schema.cache_key and key in schema.cache_key:
            return await reader.find_unique(schema.name, "cache_key", cache_key(schema, data))
        return None

    async def _belongs(self, schema: EntitySchema, row: Row, foreign: Mapping[str, str]) -> bool:
        for fname, fident in foreign.items():
            fref = schema.fields.get(fname)
            if not isinstance(fref, Foreign):
                return False
            parent = await self._resolve_ident(self.backend, self.schema(fref.reference), fident, None)
            if parent is None or (row.get(fname) or {}).get("id") != parent:
                return False
        return True

    async def _prepare(self, reader: _Reader, schema: EntitySchema, data: dict[str, Any]) -> dict[str, Any]:
        """Resolve foreign keys given by endpoint key and normalize targets, before validation."""
        for name, fld in schema.foreign_keys().items():
            value = data.get(name)
            if not isinstance(value, dict) or not value:
                continue
            if set(value) == {"id"}:
                if isinstance(value["id"], str):
                    data[name] = {"id": value["id"].lower()}
                continue
            parent = self.schema(fld.reference)
            keys = [k for k in value if k != "id"]
            if len(value) != 1 or keys[0] not in parent.fields or not parent.fields[keys[0]].unique:
                continue  # the schema reports it (unknown field)
            found = await reader.find_unique(parent.name, keys[0], _canonical(value[keys[0]]))
            if found is None:
                raise _foreign_violation(name, dict(value), parent.name)
            data[name] = {"id": found}
        if schema.name == "targets" and isinstance(data.get("target"), str):
            data["target"] = normalize_target(data["target"])
        return data

    async def _check_foreign_keys(self, txn: Txn, schema: EntitySchema, row: Row) -> None:
        for name, fld in schema.foreign_keys().items():
            value = row.get(name)
            if isinstance(value, dict) and await txn.get(fld.reference, value["id"]) is None:
                raise _foreign_violation(name, {"id": value["id"]}, fld.reference)

    async def _put(self, txn: Txn, schema: EntitySchema, row: Row) -> None:
        try:
            await txn.put(schema.name, row, index_row(schema, row))
        except UniqueConflict as conflict:
            if conflict.key == "cache_key":  # Kong names every cache-key field, sorted, nulls included
                raise _unique_violation({name: row.get(name) for name in sorted(schema.cache_key or ())}) from None
            raise _unique_violation({conflict.key: row.get(conflict.key)}) from None

    async def _delete_tree(
        self, txn: Txn, entity: str, row_id: str, row: Row, events: list[ChangeEvent], seen: set[tuple[str, str]]
    ) -> None:
        seen.add((entity, row_id))
        for child_entity, fname, child_id in await txn.referencing(entity, row_id):
            if (child_entity, child_id) in seen:
                continue
            child_schema = self.schema(child_entity)
            fld = child_schema.fields.get(fname)
            if not isinstance(fld, Foreign):  # an array of ids (services.ca_certificates): always restricts
                raise StoreError(
                    ErrorCode.FOREIGN_KEY_VIOLATION,
                    f"ca certificate {row_id} is still referenced by {child_entity} (id = {child_id})",
                    {"@referenced_by": child_entity},
                )
            child = await txn.get(child_entity, child_id)
            if child is None:
                continue
            if fld.on_delete == "cascade" or (child_entity, fname) in _STORAGE_CASCADES:
                await self._delete_tree(txn, child_entity, child_id, child, events, seen)
            elif fld.on_delete == "null":
                updated = {**child, fname: None}
                await self._put(txn, child_schema, updated)
                events.append(ChangeEvent(child_entity, "update", updated, child))
            else:
                raise StoreError(
                    ErrorCode.FOREIGN_KEY_VIOLATION,
                    f"an existing '{child_entity}' entity references this '{entity}' entity",
                    {"@referenced_by": child_entity},
                )
        await txn.remove(entity, row_id)
        events.append(ChangeEvent(entity, "delete", row))

    async def _replace_snis(self, txn: Txn, cert_id: str, names: Any, events: list[ChangeEvent]) -> None:
        snis_schema = self.schema("snis")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SchemaViolation({"snis": "expected a set"})
        wanted = list(dict.fromkeys(names))
        current: dict[str, Row] = {}
        for child_entity, _, child_id in await txn.referencing("certificates", cert_id):
            child = await txn.get(child_entity, child_id) if child_entity == "snis" else None
            if child is not None:
                current[child["name"]] = child
        for name, sni in current.items():
            if name not in wanted:
                await txn.remove("snis", sni["id"])
                events.append(ChangeEvent("snis", "delete", sni))
        errors: list[Any] = []
        for name in wanted:
            if name in current:
                errors.append(None)
                continue
            holder = await txn.find_unique("snis", "name", name)
            if holder is not None:
                other = await txn.get("snis", holder)
                other_cert = (other or {}).get("certificate") or {}
                errors.append(f"{name} already associated with existing certificate '{other_cert.get('id')}'")
                continue
            try:
                sni = snis_schema.insert({"name": name, "certificate": {"id": cert_id}})
            except SchemaViolation as exc:
                errors.append((exc.fields or {}).get("name", exc.message))
                continue
            errors.append(None)
            await self._put(txn, snis_schema, sni)
            events.append(ChangeEvent("snis", "create", sni))
        if any(e is not None for e in errors):
            while errors[-1] is None:
                errors.pop()
            raise SchemaViolation({"snis": errors})

    async def _decorate(self, entity: str, row: Row) -> Row:
        """Certificates carry the names of their SNIs, as Kong's Admin API shows them."""
        if entity != "certificates":
            return row
        names: list[str] = []
        offset: str | None = None
        while True:
            page = await self.backend.page(
                PageQuery("snis", size=MAX_PAGE_SIZE, after=offset, foreign=("certificate", str(row["id"])))
            )
            names.extend(str(r["name"]) for r in page)
            if len(page) < MAX_PAGE_SIZE:
                break
            offset = str(page[-1]["id"])
        return {**row, "snis": sorted(names)}

    def _cluster_event(self, channel: str, data: Mapping[str, Any]) -> ClusterEvent:
        now = time.time()
        return ClusterEvent(
            node_id=self.node_id,
            channel=channel,
            data=json.dumps(data, separators=(",", ":")),
            at=now,
            expire_at=now + _EVENT_TTL_SECONDS,
        )

    async def _publish(self, txn: Txn, events: Sequence[ChangeEvent]) -> None:
        await txn.publish(
            [
                self._cluster_event(
                    INVALIDATIONS_CHANNEL,
                    {
                        "entity": e.entity,
                        "op": e.op,
                        "id": e.row.get("id"),
                        "cache_key": f"{e.entity}:{e.row.get('id')}",
                    },
                )
                for e in events
            ]
        )

    async def _notify(self, events: Sequence[ChangeEvent]) -> None:
        for event in events:
            for listener in list(self._listeners):
                try:
                    result = listener(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("change listener failed for %s %s", event.op, event.entity)


def _unique_violation(values: dict[str, Any]) -> StoreError:
    return StoreError(ErrorCode.UNIQUE_VIOLATION, f"UNIQUE violation detected on '{lua_table(values)}'", values)


def _foreign_violation(field_name: str, key: dict[str, Any], parent: str) -> StoreError:
    return StoreError(
        ErrorCode.FOREIGN_KEY_VIOLATION,
        f"the foreign key '{lua_table(key)}' does not reference an existing '{parent}' entity.",
        {field_name: key},
    )


def _not_found(schema: EntitySchema, ident: str) -> StoreError:
    """Kong's `not_found` / `not_found_by_field`: the key is both in the message and in `fields`."""
    key = "id" if is_uuid(ident) or schema.endpoint_key is None else schema.endpoint_key
    prefix = "primary key " if key == "id" else ""
    return StoreError(
        ErrorCode.NOT_FOUND, f"could not find the entity with {prefix}'{lua_table({key: ident})}'", {key: ident}
    )
