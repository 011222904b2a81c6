"""Kong's "traditional" router: hosts, paths, methods, headers and SNIs, in Kong's precedence order.

Scope: the router matches HTTP-family routes (`http`, `https`, `grpc`, `grpcs`, `ws`, `wss`) on `hosts`,
`headers`, `paths`, `methods` and `snis`. It does not match on protocols: a route reached over the
wrong scheme still matches and the proxy answers (426 for an https-only route reached over http,
415/426 for gRPC). `snis` only constrain requests whose scheme is not "http" (as Kong). Stream routes
(`tcp`, `tls`, `udp`, `tls_passthrough`) are ignored. Routes whose service has `enabled: false` are
skipped entirely.

Precedence: routes (one entry per path) are ordered once at build time by Kong's rules: more matching
fields first, equal counts ordered by field weight host > header > path > method > sni; then a wildcard
host with a port, plain hosts only, a regex path (these three compared as one bit set), more headers,
higher `regex_priority` (regex paths only), longer prefix path, older `created_at`, input order. A
request is answered by the first entry in that order that matches in full, except that inside a
category a route host equal to the request's explicit `host:port` is tried first (as Kong's host
index does). Indexes only narrow the entries worth testing. Decisions are memoized in an LRU keyed by
every input the router reads.

Hosts compare case-insensitively. A route host without a port matches any port; one with a port
matches only a Host header carrying that port. A Host without a port is taken to carry the scheme's
default port when testing wildcard hosts with a port (`*.example.com:443`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final, TypeAlias

from sekisho.router.compiled import CompiledRoute, RequestView, compile_route
from sekisho.router.index import HostIndex
from sekisho.router.lru import LRUCache
from sekisho.router.match import Match, Row
from sekisho.router.normalize import normalize_path, split_host_port

__all__ = ["DEFAULT_CACHE_SIZE", "HeaderLookup", "Router"]

#: `headers` argument of `Router.match`: either a callable taking a lower-cased header name and returning
#: its value (a string, a sequence of strings for a repeated header, or None), or a Mapping from
#: lower-cased names to such values.
HeaderLookup: TypeAlias = "Callable[[str], str | Sequence[str] | None] | Mapping[str, str | Sequence[str]]"

DEFAULT_CACHE_SIZE: Final = 5000
# Keys longer than this (huge paths or header values) are not memoized, so they cannot bloat the cache.
_MAX_CACHED_KEY_CHARS: Final = 2048
_NO_MATCH: Final = object()

_CacheKey: TypeAlias = tuple[str, str | None, str, str, str | None, tuple[tuple[str, ...] | None, ...]]


class Router:
    """A compiled, immutable route matcher. Build a new one when routes or services change."""

    __slots__ = ("_cache", "_entries", "_header_names", "_index", "_miss_cache", "_uses_scheme", "_uses_sni")

    def __init__(
        self,
        routes: Iterable[Row],
        services: Mapping[str, Row],
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        entries: list[CompiledRoute] = []
        for order, route in enumerate(routes):
            service = _service_of(route, services)
            if service is not None and service.get("enabled") is False:
                continue
            entries.extend(compile_route(route, service, order))
        entries.sort(key=lambda entry: entry.sort_key)
        index = HostIndex()
        header_names: set[str] = set()
        categories: dict[tuple[object, ...], int] = {}
        for rank, entry in enumerate(entries):
            entry.rank = rank
            entry.category = categories.setdefault(entry.sort_key[:2], len(categories))
            index.add(entry)
            header_names.update(rule.name for rule in entry.header_rules)
        index.freeze()
        self._entries = tuple(entries)
        self._index = index
        self._header_names = tuple(sorted(header_names))
        self._uses_sni = any(entry.snis is not None for entry in entries)
        # The scheme only matters to SNI rules and to wildcard hosts (implied default port).
        self._uses_scheme = self._uses_sni or any(entry.wildcard_hosts for entry in entries)
        self._cache: LRUCache[_CacheKey, Match] = LRUCache(cache_size)
        self._miss_cache: LRUCache[_CacheKey, object] = LRUCache(cache_size)

    def __len__(self) -> int:
        """Number of compiled entries (one per route path)."""
        return len(self._entries)

    @property
    def cached_decisions(self) -> int:
        """How many routing decisions (matches and misses) are memoized right now."""
        return len(self._cache) + len(self._miss_cache)

    def match(
        self,
        method: str,
        host: str | None,
        path: str,
        headers: HeaderLookup,
        scheme: str = "http",
        sni: str | None = None,
        port: int | None = None,
    ) -> Match | None:
        """Find the route for a request; None means 404 "no Route matched with those values".

        `host` is the Host header value (it may carry a port), `path` the raw request path without the
        query string. `port` is accepted for the listener's port but, as in Kong, a Host without a port
        is taken to carry the scheme's default port (80, or 443 for https).
        """
        del port
        header_values = self._header_values(headers) if self._header_names else ()
        if not self._uses_sni:
            sni = None
        key: _CacheKey = (method, host, path, scheme if self._uses_scheme else "", sni, header_values)
        hits = self._cache.data
        cached = hits.get(key)
        if cached is not None:
            try:
                hits.move_to_end(key)
            except KeyError:  # evicted by a concurrent caller between get and move; the answer still stands
                pass
            return cached
        if self._miss_cache.get(key) is not None:
            return None
        found = self._find(method, host, path, scheme, sni, header_values)
        if _key_size(key) <= _MAX_CACHED_KEY_CHARS:
            if found is None:
                self._miss_cache.put(key, _NO_MATCH)
            else:
                self._cache.put(key, found)
        return found

    def _header_values(self, headers: HeaderLookup) -> tuple[tuple[str, ...] | None, ...]:
        lookup = headers if callable(headers) else headers.get
        values: list[tuple[str, ...] | None] = []
        for name in self._header_names:
            value = lookup(name)
            if value is None:
                values.append(None)
            elif isinstance(value, str):
                values.append((value.lower(),))
            else:
                values.append(tuple(item.lower() for item in value))
        return tuple(values)

    def _find(
        self,
        method: str,
        host: str | None,
        path: str,
        scheme: str,
        sni: str | None,
        header_values: tuple[tuple[str, ...] | None, ...],
    ) -> Match | None:
        normalized = normalize_path(path)
        lowered_host = host.lower() if host is not None else None
        if lowered_host is not None:
            host_no_port, host_with_port = split_host_port(lowered_host, 443 if scheme == "https" else 80)
        else:
            host_no_port = host_with_port = ""
        candidates: list[CompiledRoute] = []
        port_specific: list[CompiledRoute] = []
        self._index.collect(lowered_host, host_no_port, normalized, candidates, port_specific)
        if port_specific:
            candidates = _port_specific_first(port_specific, candidates)
        elif len(candidates) > 1:
            candidates.sort(key=_rank)
        elif not candidates:
            return None
        request = RequestView(
            method=method,
            host=lowered_host,
            host_no_port=host_no_port,
            host_with_port=host_with_port,
            path=normalized,
            scheme=scheme,
            sni=_sni_for_routing(sni),
            headers=dict(zip(self._header_names, header_values, strict=True)),
        )
        for entry in candidates:
            found = entry.match(request)
            if found is not None:
                return found
        return None


def _rank(entry: CompiledRoute) -> int:
    return entry.rank


def _port_specific_first(port_specific: list[CompiledRoute], others: list[CompiledRoute]) -> list[CompiledRoute]:
    # Kong tries routes filed under the request's exact `host:port` before the rest of their category,
    # so `example.com:8000` beats an otherwise equal `example.com` for a request to port 8000.
    preferred = {id(entry) for entry in port_specific}
    merged = port_specific + others
    merged.sort(key=lambda entry: (entry.category, id(entry) not in preferred, entry.rank))
    return merged


def _service_of(route: Row, services: Mapping[str, Row]) -> Row | None:
    reference = route.get("service")
    if not isinstance(reference, Mapping):
        return None
    service_id = reference.get("id")
    return services.get(service_id) if isinstance(service_id, str) else None


def _sni_for_routing(sni: str | None) -> str | None:
    if sni is None:
        return None
    sni = sni.lower()
    return sni[:-1] if len(sni) > 1 and sni.endswith(".") else sni


def _key_size(key: _CacheKey) -> int:
    size = len(key[2]) + (len(key[1]) if key[1] else 0)
    for values in key[5]:
        if values:
            size += sum(len(value) for value in values)
    return size
