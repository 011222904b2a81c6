"""Counters shared by the worker processes of one node: a fixed table in a memory-mapped file.

Kong's `local` policy keeps counters in an nginx shared dictionary, common to all workers of a node. This
is the same idea: one file per node (named after the node id, on tmpfs when available) holding a table of
fixed-size slots, guarded by a POSIX record lock so increments from several processes never get lost.

Slot layout (32 bytes): 16-byte key digest, int64 window end (Unix seconds), int64 count. Keys are placed
by open addressing; when every probed slot holds a live window, the one ending soonest is reused (its count
restarts), like a full shared dictionary evicting entries.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import stat
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["SLOTS", "SharedCounters", "default_path"]

SLOTS = 65536
_SLOT = struct.Struct("<16sqq")
_PROBES = 16
_EMPTY = b"\0" * 16


def default_path(node_id: str) -> Path:
    """Where the node's table lives: /dev/shm when present (RAM), else the temporary directory."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    safe = "".join(c for c in node_id if c.isalnum() or c in "-_") or "node"
    return base / f"sekisho-rate-limiting-{safe}.bin"


class SharedCounters:
    """Node-wide counters. Synchronous: each call takes the lock, works on the table and releases it."""

    def __init__(self, path: Path, slots: int = SLOTS) -> None:
        self.path = path
        self._slots = slots
        size = slots * _SLOT.size
        # /dev/shm is shared by every local user: never follow a planted symlink, never use someone else's file.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
                raise PermissionError(f"{path} is not a private file of this user")
            if info.st_size < size:
                os.ftruncate(fd, size)  # sparse: pages are allocated as slots are used
            self._map = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)

    def _lock(self) -> None:
        fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, 0)

    def _unlock(self) -> None:
        fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, 0)

    def _digest(self, key: str) -> bytes:
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        return digest if digest != _EMPTY else b"\x01" + digest[1:]

    def _find(self, digest: bytes, now: float) -> tuple[int, bool]:
        """(slot, found): the key's slot, else the best slot to put it in."""
        start = int.from_bytes(digest[:8], "little") % self._slots
        reusable = -1
        oldest = -1
        oldest_end = 0
        for probe in range(_PROBES):
            index = (start + probe) % self._slots
            slot_digest, window_end, _count = _SLOT.unpack_from(self._map, index * _SLOT.size)
            if slot_digest == digest:
                return index, True
            if slot_digest == _EMPTY or window_end <= now:
                if reusable < 0:
                    reusable = index
            elif oldest < 0 or window_end < oldest_end:
                oldest, oldest_end = index, window_end
        return (reusable if reusable >= 0 else oldest), False

    def usage(self, keys: Sequence[str], now: float) -> list[int]:
        self._lock()
        try:
            return self._usage(keys, now)
        finally:
            self._unlock()

    def _usage(self, keys: Sequence[str], now: float) -> list[int]:
        out: list[int] = []
        for key in keys:
            index, found = self._find(self._digest(key), now)
            if not found:
                out.append(0)
                continue
            _digest, window_end, count = _SLOT.unpack_from(self._map, index * _SLOT.size)
            out.append(count if window_end > now else 0)
        return out

    def increment(self, keys: Sequence[tuple[str, float]], now: float) -> list[int]:
        """Add one to each key (window ending at the given time); returns the new counts."""
        self._lock()
        try:
            return self._increment(keys, now)
        finally:
            self._unlock()

    def consume(self, keys: Sequence[tuple[str, float]], limits: Sequence[float], now: float) -> list[int]:
        """Under one lock: the counts before this request, incremented when every count is under its limit."""
        self._lock()
        try:
            counts = self._usage([key for key, _ in keys], now)
            if all(count < limit for count, limit in zip(counts, limits, strict=True)):
                self._increment(keys, now)
            return counts
        finally:
            self._unlock()

    def _increment(self, keys: Sequence[tuple[str, float]], now: float) -> list[int]:
        out: list[int] = []
        for key, expires_at in keys:
            digest = self._digest(key)
            index, found = self._find(digest, now)
            count = 0
            if found:
                _digest, window_end, current = _SLOT.unpack_from(self._map, index * _SLOT.size)
                count = current if window_end > now else 0
            count += 1
            _SLOT.pack_into(self._map, index * _SLOT.size, digest, int(expires_at), count)
            out.append(count)
        return out
