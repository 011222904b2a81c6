"""Storage: the `Database` protocol and its memory (DB-less), SQLite and PostgreSQL implementations.

`open_database(strategy, registry=..., node_id=...)` builds one; `EntityDatabase` is the implementation
(Kong's DAO over a small `Backend`)."""

from __future__ import annotations

from sekisho.store.base import ChangeEvent, ChangeListener, Database, Page, Row
from sekisho.store.dao import EntityDatabase
from sekisho.store.factory import open_database

__all__ = ["ChangeEvent", "ChangeListener", "Database", "EntityDatabase", "Page", "Row", "open_database"]
