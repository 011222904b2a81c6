"""Compact configuration rows before they become a snapshot.

Every row read from the database is decoded on its own, so each of 10,000 route rows carries its own copy of
every field name and of repeated values ("http", "https", "v0", the same hosts). The snapshot keeps all rows
for its lifetime; sharing those strings saves about a kilobyte per row.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["compact_rows"]

Row = dict[str, Any]
_SHARED_STRING_MAX = 64  # longer strings are rarely repeated (certificates, keys, descriptions)


def compact_rows(rows: Mapping[str, list[Row]]) -> Mapping[str, list[Row]]:
    """Replace each row of `rows` (in place, one at a time) by an equal copy whose field names are interned and
    whose short strings are shared; returns `rows`.

    One row at a time: the memory a replaced row frees is reused by the next copy, so the peak stays at one
    set of rows (a second full set would leave the heap fragmented and the worker's RSS higher for good)."""
    pool: dict[str, str] = {}
    for entity_rows in rows.values():
        for index, row in enumerate(entity_rows):
            entity_rows[index] = _compact_dict(row, pool)
    return rows


def _compact_dict(row: Mapping[str, Any], pool: dict[str, str]) -> dict[str, Any]:
    return {sys.intern(key) if type(key) is str else key: _compact(value, pool) for key, value in row.items()}


def _compact(value: Any, pool: dict[str, str]) -> Any:
    kind = type(value)
    if kind is str:
        if len(value) > _SHARED_STRING_MAX:
            return value
        return pool.setdefault(value, value)
    if kind is dict:
        return _compact_dict(value, pool)
    if kind is list:
        return [_compact(item, pool) for item in value]
    return value
