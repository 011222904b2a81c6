"""The per-worker runtime: an immutable configuration snapshot, swapped atomically, plus plugin instances."""

from __future__ import annotations

from sekisho.runtime.runtime import Runtime
from sekisho.runtime.snapshot import SNAPSHOT_ENTITIES, Snapshot, build_snapshot

__all__ = ["SNAPSHOT_ENTITIES", "Runtime", "Snapshot", "build_snapshot"]
