"""The small interface every storage backend implements beneath `EntityDatabase`.

A backend stores rows as JSON bodies keyed by (entity, id) and keeps three indexes computed by the DAO:
unique keys (enforced atomically by the backend), tags and foreign references. It knows nothing about
schemas, endpoint keys or Kong's messages: those live in `sekisho.store.dao`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sekisho.errors import ErrorCode, StoreError
from sekisho.store.base import ClusterEvent, Row

__all__ = [
    "Backend",
    "ClusterEvent",
    "PageQuery",
    "RowIndex",
    "Txn",
    "UniqueConflict",
    "decode_offset",
    "encode_offset",
    "row_json",
]


@dataclass(frozen=True, slots=True)
class RowIndex:
    """What a backend indexes for one row."""

    unique: Sequence[tuple[str, str]] = ()
    """(key name, canonical value) pairs that must be unique within the entity."""
    tags: Sequence[str] = ()
    refs: Sequence[tuple[str, str, str]] = ()
    """(field, referenced entity, referenced id) for every non-null foreign key."""


@dataclass(frozen=True, slots=True)
class PageQuery:
    """A keyset page request: rows with id > `after`, ordered by id, at most `size`."""

    entity: str
    size: int
    after: str | None = None
    tags: Sequence[str] = ()
    tags_match: Literal["and", "or"] = "and"
    foreign: tuple[str, str] | None = None
    """(field, referenced id): only rows whose foreign key `field` points at that id."""
    where: Sequence[tuple[str, Any]] = field(default_factory=tuple)
    """(top-level field, scalar value) equality filters; field names are checked by the DAO."""


class UniqueConflict(Exception):
    """Raised by a backend when a unique key is already taken; `key` is the key name."""

    def __init__(self, entity: str, key: str) -> None:
        super().__init__(f"{entity}: {key}")
        self.entity = entity
        self.key = key


class Txn(Protocol):
    """One write transaction. Reads inside it see its own writes."""

    async def get(self, entity: str, ident: str) -> Row | None: ...

    async def find_unique(self, entity: str, key: str, value: str) -> str | None: ...

    async def put(self, entity: str, row: Row, index: RowIndex) -> None:
        """Insert or replace the row with `row["id"]`; raises `UniqueConflict` when a unique key is taken."""
        ...

    async def remove(self, entity: str, ident: str) -> None: ...

    async def referencing(self, entity: str, ident: str) -> list[tuple[str, str, str]]:
        """(entity, field, id) of every row whose foreign key points at (entity, ident)."""
        ...

    async def publish(self, events: Sequence[ClusterEvent]) -> int:
        """Record cluster events and bump the configuration version; returns the new version."""
        ...

    async def clear(self) -> None:
        """Remove every entity row (declarative loads replace everything)."""
        ...


class Backend(Protocol):
    strategy: str

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def is_reachable(self) -> bool: ...

    def transaction(self) -> AbstractAsyncContextManager[Txn]: ...

    async def get(self, entity: str, ident: str) -> Row | None: ...

    async def find_unique(self, entity: str, key: str, value: str) -> str | None: ...

    async def page(self, query: PageQuery) -> list[Row]: ...

    def iterate(self, entity: str) -> AsyncIterator[Row]:
        """Every row of an entity ordered by id."""
        ...

    async def count(self, entity: str) -> int: ...

    async def config_version(self) -> int: ...

    async def events_since(self, version: int, limit: int = 1000) -> list[tuple[int, ClusterEvent]]:
        """Cluster events with id > `version`, oldest first (multi-node invalidation polls this)."""
        ...


def row_json(row: Mapping[str, Any]) -> str:
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False)


def encode_offset(last_id: str) -> str:
    return base64.b64encode(json.dumps([last_id]).encode()).decode()


def decode_offset(token: str) -> str:
    """The last id of the previous page; Kong's INVALID_OFFSET error for anything else."""
    try:
        raw = base64.b64decode(token.encode(), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _invalid_offset(token, "bad base64 encoding") from None
    try:
        decoded = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise _invalid_offset(token, "bad json encoding") from None
    if not (isinstance(decoded, list) and len(decoded) == 1 and isinstance(decoded[0], str)):
        raise _invalid_offset(token, "bad json encoding")
    return decoded[0]


def _invalid_offset(token: str, reason: str) -> StoreError:
    return StoreError(ErrorCode.INVALID_OFFSET, f"'{token}' is not a valid offset: {reason}")
