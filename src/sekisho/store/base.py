"""What the rest of sekisho may know about storage.

`Database` is the entity-aware API (Kong's DAO): it resolves endpoint keys, validates with the entity
schemas, enforces unique and foreign keys, cascades deletes and publishes change events. It is the only
storage surface the Admin API, the CLI and the runtime use. Backends (memory, SQLite, PostgreSQL) sit
beneath it and never leave `store/`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sekisho.entities import EntityRegistry

__all__ = ["ChangeEvent", "ChangeListener", "ClusterEvent", "Database", "Page", "Row"]

Row = dict[str, Any]
"""An entity as Kong serializes it: every field present, `None` where unset, foreign keys as {"id": ...}."""

Operation = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One committed change. `row` is the new row (the deleted one for deletes); `old` the previous one."""

    entity: str
    op: Operation
    row: Row
    old: Row | None = None


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """One `cluster_events` row (Kong's columns): `channel` `invalidations` carries JSON
    `{"entity", "op", "id", "cache_key"}`; `declarative:flip_config` marks a whole-configuration load."""

    node_id: str
    channel: str
    data: str
    at: float
    nbf: float | None = None
    expire_at: float | None = None


ChangeListener = Callable[[ChangeEvent], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing; `offset` is the opaque token of the next page, None on the last one."""

    data: list[Row]
    offset: str | None


class Database(Protocol):
    """Entity-aware storage. Every write validates, every error is a `StoreError` with Kong's code."""

    registry: EntityRegistry

    @property
    def strategy(self) -> str:
        """`off` (DB-less, declarative), `sqlite` or `postgres`."""
        ...

    @property
    def read_only(self) -> bool:
        """True in DB-less mode: entity writes raise OPERATION_UNSUPPORTED (405)."""
        ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def is_reachable(self) -> bool: ...

    # -- reads ----------------------------------------------------------------------------------------
    async def select(self, entity: str, ident: str, *, foreign: Mapping[str, str] | None = None) -> Row | None:
        """By primary key, or by endpoint key (e.g. a service name) when `ident` is not a UUID.

        `foreign` scopes endpoint keys unique only within a parent, and makes the row belong to it:
        `select("targets", "10.0.0.1:80", foreign={"upstream": <upstream id or name>})`."""
        ...

    async def select_by(self, entity: str, field: str, value: Any) -> Row | None:
        """By a unique field."""
        ...

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
        """A page ordered by primary key. `foreign={"service": <id>}` lists the rows referencing a parent;
        `where` filters on top-level scalar fields (equality). Bad offsets raise INVALID_OFFSET."""
        ...

    async def all(self, entity: str) -> list[Row]:
        """Every row of an entity (snapshot building, export)."""
        ...

    async def count(self, entity: str) -> int: ...

    # -- writes (validate, enforce constraints, publish events) -----------------------------------------
    async def insert(self, entity: str, data: Mapping[str, Any]) -> Row: ...

    async def update(self, entity: str, ident: str, patch: Mapping[str, Any]) -> Row:
        """PATCH semantics; NOT_FOUND when the row does not exist."""
        ...

    async def upsert(self, entity: str, ident: str, data: Mapping[str, Any]) -> Row:
        """PUT semantics: create or replace; when `ident` is an endpoint key it is set on the row."""
        ...

    async def delete(self, entity: str, ident: str) -> Row | None:
        """Delete (cascading per foreign key `on_delete`); returns the deleted row or None if absent."""
        ...

    # -- whole configuration --------------------------------------------------------------------------
    async def load_declarative(self, entities: Mapping[str, list[Row]]) -> None:
        """Replace everything with already validated rows (DB-less `/config`, `config db_import`)."""
        ...

    async def config_version(self) -> int:
        """Increases with every committed change, across processes and nodes sharing the database."""
        ...

    async def events_since(self, version: int, limit: int = 1000) -> list[tuple[int, ClusterEvent]]:
        """`cluster_events` rows with id > `version`, oldest first: what other nodes poll to invalidate.
        Ids are configuration versions (`config_version()` is the newest one)."""
        ...

    async def shared_secret(self, name: str) -> bytes:
        """32 random bytes every process and node using this database agrees on (created on first use)."""
        ...

    def subscribe(self, listener: ChangeListener) -> None:
        """Call `listener` after each committed change made through this Database."""
        ...
