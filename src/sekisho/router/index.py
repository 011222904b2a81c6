"""Candidate indexes: narrow the routes worth testing without scanning them all.

Routes are filed by host (exact name, `*.suffix`, `prefix.*`, or no host) and, inside each host group,
by the literal start of their path (a prefix path, or the fixed text a regex path begins with). A lookup
costs one dict probe per distinct literal length in the group, whatever the number of routes.
The index only narrows: every candidate is still tested in full, in precedence order.
"""

from __future__ import annotations

from sekisho.router.compiled import CompiledRoute, literal_prefix
from sekisho.router.normalize import split_host_port

__all__ = ["HostIndex", "PathIndex"]


class PathIndex:
    """Entries keyed by the literal text their path starts with, grouped by that text's length."""

    __slots__ = ("_buckets", "_by_length")

    def __init__(self) -> None:
        self._by_length: dict[int, dict[str, list[CompiledRoute]]] = {}
        self._buckets: tuple[tuple[int, dict[str, list[CompiledRoute]]], ...] = ()

    def add(self, entry: CompiledRoute) -> None:
        if entry.prefix is not None:
            key = entry.prefix
        elif entry.regex is not None:
            key = literal_prefix(entry.regex.pattern)
        else:
            key = ""
        self._by_length.setdefault(len(key), {}).setdefault(key, []).append(entry)

    def freeze(self) -> None:
        self._buckets = tuple(sorted(self._by_length.items()))

    def collect(self, path: str, out: list[CompiledRoute]) -> None:
        size = len(path)
        for length, by_prefix in self._buckets:
            if length > size:
                break
            bucket = by_prefix.get(path[:length])
            if bucket is not None:
                out.extend(bucket)


class HostIndex:
    """Path indexes per exact host, per wildcard suffix/prefix, plus one for routes without hosts."""

    __slots__ = (
        "_exact",
        "_has_odd_wildcards",
        "_hostless",
        "_longest_prefix",
        "_longest_suffix",
        "_odd_wildcards",
        "_prefixes",
        "_suffixes",
    )

    def __init__(self) -> None:
        self._exact: dict[str, PathIndex] = {}
        self._suffixes: dict[str, PathIndex] = {}
        self._prefixes: dict[str, PathIndex] = {}
        self._odd_wildcards = PathIndex()
        self._has_odd_wildcards = False
        self._hostless = PathIndex()
        self._longest_suffix = 0
        self._longest_prefix = 0

    def add(self, entry: CompiledRoute) -> None:
        if entry.plain_hosts is None:
            self._hostless.add(entry)
            return
        for host in entry.plain_hosts:
            self._exact.setdefault(host, PathIndex()).add(entry)
        for _, original in entry.wildcard_hosts:
            name, _ = split_host_port(original.lower(), 0)
            if name.startswith("*.") and name.count("*") == 1:
                self._suffixes.setdefault(name[1:], PathIndex()).add(entry)
            elif name.endswith(".*") and name.count("*") == 1:
                self._prefixes.setdefault(name[:-1], PathIndex()).add(entry)
            else:
                self._odd_wildcards.add(entry)
                self._has_odd_wildcards = True

    def freeze(self) -> None:
        for group in (*self._exact.values(), *self._suffixes.values(), *self._prefixes.values()):
            group.freeze()
        self._odd_wildcards.freeze()
        self._hostless.freeze()
        self._longest_suffix = max(map(len, self._suffixes), default=0)
        self._longest_prefix = max(map(len, self._prefixes), default=0)

    def collect(
        self, host: str | None, host_no_port: str, path: str, out: list[CompiledRoute], with_port: list[CompiledRoute]
    ) -> None:
        """Add candidates to `out`; those filed under the request's explicit `host:port` go to `with_port`."""
        if host is not None:
            exact = self._exact
            if exact:
                group = exact.get(host)
                if group is not None:
                    group.collect(path, with_port if host_no_port != host else out)
                if host_no_port != host:
                    group = exact.get(host_no_port)
                    if group is not None:
                        group.collect(path, out)
            if self._suffixes:
                self._collect_suffixes(host_no_port, path, out)
            if self._prefixes:
                self._collect_prefixes(host_no_port, path, out)
            if self._has_odd_wildcards:
                self._odd_wildcards.collect(path, out)
        self._hostless.collect(path, out)

    def _collect_suffixes(self, name: str, path: str, out: list[CompiledRoute]) -> None:
        suffixes = self._suffixes
        # Only dots close enough to the end can start a known suffix: bounded work for absurd Host values.
        dot = name.find(".", max(1, len(name) - self._longest_suffix))
        while dot != -1:
            group = suffixes.get(name[dot:])
            if group is not None:
                group.collect(path, out)
            dot = name.find(".", dot + 1)

    def _collect_prefixes(self, name: str, path: str, out: list[CompiledRoute]) -> None:
        prefixes = self._prefixes
        dot = name.find(".", 1, self._longest_prefix)
        while dot != -1:
            group = prefixes.get(name[: dot + 1])
            if group is not None:
                group.collect(path, out)
            dot = name.find(".", dot + 1, self._longest_prefix)
