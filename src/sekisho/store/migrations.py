"""Schema migrations: numbered SQL files per backend (`migrations_sql/<strategy>/NNN_name.sql`).

The CLI maps `sekisho migrations bootstrap|up|list|reset` onto `bootstrap`, `up`, `list_migrations` and
`reset`; a node calls `check_ready` before starting on PostgreSQL (SQLite bootstraps itself on connect).
The memory strategies have no schema: every function is a no-op for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol, runtime_checkable

from sekisho.errors import ErrorCode, StoreError

__all__ = [
    "MigrationStatus",
    "apply_pending",
    "available_migrations",
    "bootstrap",
    "check_ready",
    "list_migrations",
    "reset",
    "up",
]

NEEDS_BOOTSTRAP = (
    "Database needs bootstrapping or is older than sekisho's first schema.\n\n"
    "To start a new installation from scratch, run 'sekisho migrations bootstrap'."
)
PENDING = "New migrations available; run 'sekisho migrations up' to proceed"


@runtime_checkable
class MigrationTarget(Protocol):
    """What an SQL backend offers the migration runner."""

    strategy: str

    async def connect(self) -> None: ...

    async def applied_migrations(self) -> list[str] | None:
        """Names already applied, or None when the database was never bootstrapped."""
        ...

    async def apply_migration(self, name: str, script: str) -> bool:
        """Run one migration and record it, atomically; False when another node applied it first."""
        ...

    async def drop_everything(self) -> None: ...


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    bootstrapped: bool
    executed: list[str]
    pending: list[str]


def available_migrations(strategy: str) -> list[tuple[str, str]]:
    """(name, SQL) of every migration shipped for a backend, in order."""
    folder = resources.files("sekisho.store").joinpath("migrations_sql", strategy)
    if not folder.is_dir():
        return []
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


def _target(db: Any) -> MigrationTarget | None:
    backend = getattr(db, "backend", db)
    return backend if isinstance(backend, MigrationTarget) else None


async def apply_pending(db: Any) -> list[str]:
    """Apply every migration not yet applied (bootstrapping when needed); returns the names applied."""
    target = _target(db)
    if target is None:
        return []
    done = set(await target.applied_migrations() or [])
    applied: list[str] = []
    for name, script in available_migrations(target.strategy):
        if name not in done and await target.apply_migration(name, script):
            applied.append(name)
    return applied


async def bootstrap(db: Any) -> list[str]:
    """`migrations bootstrap`: create the schema on an empty database (a no-op when already bootstrapped)."""
    target = _target(db)
    if target is None:
        return []
    await target.connect()
    if await target.applied_migrations() is not None:
        return []
    return await apply_pending(target)


async def up(db: Any) -> list[str]:
    """`migrations up`: apply pending migrations to a bootstrapped database."""
    target = _target(db)
    if target is None:
        return []
    await target.connect()
    if await target.applied_migrations() is None:
        raise StoreError(ErrorCode.DATABASE_ERROR, NEEDS_BOOTSTRAP)
    return await apply_pending(target)


async def list_migrations(db: Any) -> MigrationStatus:
    target = _target(db)
    if target is None:
        return MigrationStatus(True, [], [])
    await target.connect()
    applied = await target.applied_migrations()
    executed = list(applied or [])
    pending = [name for name, _ in available_migrations(target.strategy) if name not in executed]
    return MigrationStatus(applied is not None, executed, pending)


async def reset(db: Any) -> None:
    """`migrations reset`: drop every table sekisho owns (the CLI asks for confirmation first)."""
    target = _target(db)
    if target is not None:
        await target.connect()
        await target.drop_everything()


async def check_ready(db: Any) -> None:
    """Refuse to start on a database that is not bootstrapped or has pending migrations."""
    status = await list_migrations(db)
    if not status.bootstrapped:
        raise StoreError(ErrorCode.DATABASE_ERROR, NEEDS_BOOTSTRAP)
    if status.pending:
        raise StoreError(ErrorCode.DATABASE_ERROR, f"{PENDING} (pending: {', '.join(status.pending)})")
