"""Entity schemas: a record of fields plus primary key, endpoint key, uniqueness and entity-level checks."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field as dc_field
from typing import Any

from sekisho.errors import SchemaViolation
from sekisho.schema.fields import Field, Foreign, Record

__all__ = ["EntityCheck", "EntitySchema", "at_least_one_of", "mutually_required"]

EntityCheck = Callable[[dict[str, Any]], "dict[str, Any] | None"]
"""An entity-level check over a fully normalized row; returns Kong-shaped field errors or None."""

DynamicField = Callable[[dict[str, Any]], "Record | tuple[str, str] | None"]
"""Chooses the record that validates a field from the rest of the row (plugins: `config` by `name`).

Returns the record, `(field, message)` when the row cannot have one (reported on that field), or None when
the field is free-form."""


def at_least_one_of(*names: str) -> EntityCheck:
    quoted = ", ".join(f"'{n}'" for n in names)

    def check(row: dict[str, Any]) -> dict[str, Any] | None:
        if any(row.get(n) not in (None, [], {}, "") for n in names):
            return None
        return {"@entity": [f"at least one of these fields must be non-empty: {quoted}"]}

    return check


def mutually_required(*names: str) -> EntityCheck:
    quoted = ", ".join(f"'{n}'" for n in names)

    def check(row: dict[str, Any]) -> dict[str, Any] | None:
        present = [row.get(n) is not None for n in names]
        if all(present) or not any(present):
            return None
        return {"@entity": [f"all or none of these fields must be set: {quoted}"]}

    return check


@dataclass(frozen=True, slots=True)
class UniqueKey:
    """A set of fields whose values together must be unique (a single unique field is a one-field key)."""

    fields: tuple[str, ...]


@dataclass(slots=True)
class EntitySchema:
    """One Kong entity: its table name, fields and rules."""

    name: str
    fields: Mapping[str, Field]
    endpoint_key: str | None = None
    cache_key: tuple[str, ...] | None = None
    checks: Sequence[EntityCheck] = ()
    shorthands: Mapping[str, Callable[[Any], dict[str, Any]]] = dc_field(default_factory=dict)
    dynamic_fields: dict[str, DynamicField] = dc_field(default_factory=dict)
    admin_path: str | None = None
    # Kong's `admin_api_nested_name`: the path segment under a parent, e.g. `/consumers/{c}/key-auth`.
    admin_nested_path: str | None = None
    # A field unique within the parent that also addresses a row under it (Kong: `/consumers/{c}/acls/{group}`).
    admin_nested_key: str | None = None
    # Values for fields missing on insert, generated per row (Kong's `auto` strings such as a key-auth key).
    generators: Mapping[str, Callable[[], Any]] = dc_field(default_factory=dict)
    workspaceable: bool = True
    generate_admin_api: bool = True
    record: Record = dc_field(init=False)

    def __post_init__(self) -> None:
        self.record = Record(self.fields)

    # -- introspection ------------------------------------------------------------------------------
    @property
    def primary_key(self) -> str:
        return "id"

    @property
    def path(self) -> str:
        return self.admin_path or self.name

    def foreign_keys(self) -> dict[str, Foreign]:
        return {n: f for n, f in self.fields.items() if isinstance(f, Foreign)}

    def unique_keys(self) -> list[UniqueKey]:
        keys = [UniqueKey((n,)) for n, f in self.fields.items() if f.unique]
        # A cache key that is one unique field (key-auth's `key`) is the same constraint, not a second one.
        if self.cache_key is not None and UniqueKey(self.cache_key) not in keys:
            keys.append(UniqueKey(self.cache_key))
        return keys

    def describe(self) -> dict[str, Any]:
        body: dict[str, Any] = {"fields": [{n: f.describe()} for n, f in self.fields.items()]}
        if self.endpoint_key:
            body["endpoint_key"] = self.endpoint_key
        if self.cache_key:
            body["cache_key"] = list(self.cache_key)
        return body

    # -- input shaping ------------------------------------------------------------------------------
    def coerce_form(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Convert form-urlencoded strings into the types the schema expects (Kong's form handling)."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            fld = self.fields.get(key)
            if fld is None or value is None:
                out[key] = value
                continue
            if key in self.dynamic_fields and isinstance(value, dict):
                chosen = self.dynamic_fields[key]({**data})
                out[key] = chosen.coerce_form(value) if isinstance(chosen, Record) else value
                continue
            out[key] = fld.coerce_form(value)
        return out

    def _expand_shorthands(self, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        out = dict(data)
        errors: dict[str, Any] = {}
        for key, expand in self.shorthands.items():
            if key in out:
                value = out.pop(key)
                if value is None:
                    continue
                try:
                    out.update(expand(value))
                except ValueError as exc:
                    errors[key] = str(exc)
        return out, errors

    # -- validation ---------------------------------------------------------------------------------
    def _validate(self, data: Mapping[str, Any], existing: Mapping[str, Any] | None) -> dict[str, Any]:
        data, errors = self._expand_shorthands(data)
        dynamic_values = {k: data.pop(k) for k in list(data) if k in self.dynamic_fields}
        row, field_errors = self.record.process(data, existing)
        if field_errors:
            errors.update(field_errors)
        for key, chooser in self.dynamic_fields.items():
            given = dynamic_values.get(key)
            base = existing.get(key) if existing is not None else None
            chosen = chooser(row) if not field_errors else None
            if isinstance(chosen, tuple):
                errors.setdefault(chosen[0], chosen[1])
                continue
            if chosen is None:
                row[key] = given if key in dynamic_values else copy.deepcopy(base)
                continue
            if given is None:
                given = {}
            if not isinstance(given, dict):
                errors[key] = "expected a record"
                continue
            value, err = chosen.process(given, base if isinstance(base, dict) else None)
            row[key] = value
            if err is not None:
                errors[key] = err
        if not errors:
            for check in self.checks:
                found = check(row)
                if found:
                    _merge_errors(errors, found)
        if errors:
            raise SchemaViolation(errors)
        assert isinstance(row, dict)
        return row

    def insert(self, data: Mapping[str, Any], *, now: float | None = None) -> dict[str, Any]:
        """Validate a new row: fills defaults and auto fields (`id`, `created_at`, `updated_at`)."""
        data = dict(data)
        stamp = int(now if now is not None else time.time())
        if "id" in self.fields and data.get("id") is None:
            data["id"] = str(uuid.uuid4())
        for auto_field in ("created_at", "updated_at"):
            if auto_field in self.fields and data.get(auto_field) is None:
                data[auto_field] = stamp
        for generated_field, generate in self.generators.items():
            if data.get(generated_field) is None:
                data[generated_field] = generate()
        return self._validate(data, None)

    def update(
        self, existing: Mapping[str, Any], patch: Mapping[str, Any], *, now: float | None = None
    ) -> dict[str, Any]:
        """Merge a partial update into an existing row (PATCH); nested records merge, arrays replace."""
        patch = dict(patch)
        patch.pop("id", None)
        patch.pop("created_at", None)
        if "updated_at" in self.fields:
            patch["updated_at"] = int(now if now is not None else time.time())
        merged_existing = copy.deepcopy(dict(existing))
        return self._validate(patch, merged_existing)

    def replace(
        self, ident: str, data: Mapping[str, Any], existing: Mapping[str, Any] | None, *, now: float | None = None
    ) -> dict[str, Any]:
        """Create-or-replace (PUT): fields not given take their defaults; `created_at` survives a replace."""
        data = dict(data)
        data["id"] = ident
        if existing is not None and "created_at" in self.fields:
            data["created_at"] = existing.get("created_at")
        return self.insert(data, now=now)


def _merge_errors(errors: dict[str, Any], found: Mapping[str, Any]) -> None:
    for key, value in found.items():
        if key == "@entity" and isinstance(value, list):
            errors.setdefault("@entity", []).extend(value)
        else:
            errors[key] = value
