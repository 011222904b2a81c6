"""CPU time and resident memory of a process tree, read from /proc (Linux only)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TreeSample", "children_of", "sample_tree"]

_PROC = Path("/proc")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class TreeSample:
    """CPU seconds used so far by every process of a tree, and the resident size of each non-root process."""

    cpu_seconds: float
    root_rss_bytes: int
    child_rss_bytes: tuple[int, ...]

    @property
    def max_child_rss_bytes(self) -> int:
        return max(self.child_rss_bytes, default=0)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; everything after the last ')' is fixed.
    return raw[raw.rindex(")") + 2 :].split()


def children_of(root: int) -> list[int]:
    """All descendants of `root` (breadth first), found by scanning parent PIDs."""
    parents: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    queue = [root]
    while queue:
        pid = queue.pop(0)
        for child in parents.get(pid, []):
            found.append(child)
            queue.append(child)
    return found


def _cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # utime and stime are fields 14 and 15 of /proc/<pid>/stat; here offset by the two we cut off.
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _rss_bytes(pid: int) -> int:
    try:
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def sample_tree(root: int) -> TreeSample:
    """CPU time of `root` and its descendants (live ones; exited children are not counted), and their RSS."""
    descendants = children_of(root)
    cpu = _cpu_seconds(root) + sum(_cpu_seconds(pid) for pid in descendants)
    return TreeSample(
        cpu_seconds=cpu,
        root_rss_bytes=_rss_bytes(root),
        child_rss_bytes=tuple(_rss_bytes(pid) for pid in descendants),
    )
