"""A small schema language with Kong's semantics and Kong's error messages.

Entities (services, routes, ...) and plugin configurations are described with it. A schema:
- fills defaults and auto fields (`id`, `created_at`),
- validates input and reports *all* problems at once in Kong's nested `fields` shape,
- merges partial updates (PATCH) into existing rows, records merging deeply like Kong,
- describes itself for `GET /schemas/{entity}` and for generated plugin docs.
"""

from __future__ import annotations

from sekisho.schema.entity import EntityCheck, EntitySchema, at_least_one_of, mutually_required
from sekisho.schema.fields import (
    Array,
    Boolean,
    Field,
    Foreign,
    Integer,
    Map,
    Number,
    Record,
    Set,
    String,
    Validator,
    not_supported,
)

__all__ = [
    "Array",
    "Boolean",
    "EntityCheck",
    "EntitySchema",
    "Field",
    "Foreign",
    "Integer",
    "Map",
    "Number",
    "Record",
    "Set",
    "String",
    "Validator",
    "at_least_one_of",
    "mutually_required",
    "not_supported",
]
