"""The storage contract of the IdP: typed JSON records addressed by (kind, scope, key).

`scope` is a user pool id for pool-owned records (users, clients, groups, ...) and `""` for global ones.
Every write goes through `apply`, which runs a batch atomically: an `Insert` of an existing address raises
`Conflict` and nothing of the batch is written. That is how concurrent sign-ups of one name leave one user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Conflict", "Delete", "DeleteScope", "Insert", "Op", "Put", "Record", "StoreAdapter"]

Record = dict[str, Any]


class Conflict(Exception):
    """An `Insert` found its address taken."""

    def __init__(self, kind: str, scope: str, key: str) -> None:
        super().__init__(f"{kind}/{scope}/{key} exists")
        self.kind = kind
        self.scope = scope
        self.key = key


@dataclass(frozen=True, slots=True)
class Insert:
    kind: str
    scope: str
    key: str
    data: Record


@dataclass(frozen=True, slots=True)
class Put:
    kind: str
    scope: str
    key: str
    data: Record


@dataclass(frozen=True, slots=True)
class Delete:
    kind: str
    scope: str
    key: str


@dataclass(frozen=True, slots=True)
class DeleteScope:
    """Delete every record of every kind in `scope` (a whole user pool)."""

    scope: str


Op = Insert | Put | Delete | DeleteScope


class StoreAdapter(Protocol):
    async def get(self, kind: str, scope: str, key: str) -> Record | None: ...

    async def list(self, kind: str, scope: str) -> list[Record]:
        """Records of one kind in one scope, ordered by key."""
        ...

    async def apply(self, ops: Sequence[Op]) -> None: ...

    async def take(self, kind: str, scope: str, key: str) -> Record | None:
        """Delete and return a record in one step (single-use codes); None if it was not there."""
        ...

    async def close(self) -> None: ...
