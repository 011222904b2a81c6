"""SQL shared by the SQLite and PostgreSQL backends: one table design, two placeholder dialects.

Table design (generic, chosen over per-entity tables): `entities` holds every row of every entity as a
JSON body keyed by (entity, id); `unique_keys`, `tags` and `refs` index it. The unique index on
`unique_keys (entity, key, value)` is what enforces uniqueness under concurrent writers, `refs` drives
nested listings and cascades, and plugin-owned entities (keyauth_credentials, acls, ...) need no DDL of
their own: a new plugin is a new registry entry, never a migration. `config_state.version` counts
committed changes; each write transaction bumps it last (a row lock, so versions follow commit order)
and writes its `cluster_events` rows with those numbers as ids, which makes `id > last_seen` a correct
poll for other nodes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sekisho.store.backend import PageQuery
from sekisho.store.base import Row

__all__ = ["ITERATE_BATCH", "POSTGRES", "SQLITE", "Dialect", "iterate_pages", "page_sql"]

ITERATE_BATCH = 500


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    numbered_params: bool

    def param(self, index: int) -> str:
        return f"${index}" if self.numbered_params else "?"

    def json_field(self, param: str) -> str:
        if self.name == "postgres":
            return f"(e.body->>{param})"
        return f"json_extract(e.body, {param})"

    def json_path(self, field: str) -> str:
        return field if self.name == "postgres" else "$." + json.dumps(field)

    def json_value(self, value: Any) -> Any:
        if value is None:
            return None
        if self.name == "postgres":
            if isinstance(value, bool):
                return "true" if value else "false"
            return value if isinstance(value, str) else json.dumps(value)
        return int(value) if isinstance(value, bool) else value


SQLITE = Dialect("sqlite", numbered_params=False)
POSTGRES = Dialect("postgres", numbered_params=True)


def page_sql(dialect: Dialect, query: PageQuery) -> tuple[str, Sequence[Any]]:
    """SELECT id, body of one keyset page."""
    args: list[Any] = []

    def bind(value: Any) -> str:
        args.append(value)
        return dialect.param(len(args))

    clauses = [f"e.entity = {bind(query.entity)}"]
    if query.after is not None:
        clauses.append(f"e.id > {bind(query.after)}")
    if query.foreign is not None:
        fname, ref_id = query.foreign
        clauses.append(
            f"e.id IN (SELECT r.id FROM refs r WHERE r.entity = {bind(query.entity)} "
            f"AND r.field = {bind(fname)} AND r.ref_id = {bind(ref_id)})"
        )
    tags = list(dict.fromkeys(query.tags))
    if tags:
        entity_param = bind(query.entity)  # bind in textual order: SQLite's `?` are positional
        placeholders = ", ".join(bind(tag) for tag in tags)
        having = f" GROUP BY t.id HAVING COUNT(*) = {len(tags)}" if query.tags_match == "and" else ""
        clauses.append(
            f"e.id IN (SELECT t.id FROM tags t WHERE t.entity = {entity_param} AND t.tag IN ({placeholders}){having})"
        )
    for fname, value in query.where:
        column = dialect.json_field(bind(dialect.json_path(fname)))
        if value is None:
            clauses.append(f"{column} IS NULL")
        else:
            clauses.append(f"{column} = {bind(dialect.json_value(value))}")
    sql = f"SELECT e.id, e.body FROM entities e WHERE {' AND '.join(clauses)} ORDER BY e.id LIMIT {bind(query.size)}"
    return sql, args


async def iterate_pages(page: Callable[[PageQuery], Awaitable[list[Row]]], entity: str) -> AsyncIterator[Row]:
    """Every row of `entity`, fetched in keyset pages of ITERATE_BATCH through a backend's `page`."""
    after: str | None = None
    while True:
        batch = await page(PageQuery(entity, size=ITERATE_BATCH, after=after))
        for row in batch:
            yield row
        if len(batch) < ITERATE_BATCH:
            return
        after = str(batch[-1]["id"])
