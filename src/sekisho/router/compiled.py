"""One route path compiled for matching: its predicates, its precedence key and its upstream rule.

A route with several paths is split into one `CompiledRoute` per path (as Kong 3.x does), so every path
competes with its own length and regex-ness.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sekisho.router.match import Match, Row
from sekisho.router.normalize import normalize_path, sanitize_postfix, split_host_port
from sekisho.router.upstream import compose_upstream_path
from sekisho.utils.pcre import compile_route_regex, is_regex_path, pcre_to_python

__all__ = ["HTTP_PROTOCOLS", "CompiledRoute", "RequestView", "compile_route", "literal_prefix"]

_log = logging.getLogger(__name__)

HTTP_PROTOCOLS: Final = frozenset({"http", "https", "grpc", "grpcs", "ws", "wss"})

# Field bits and their weights, in Kong's order of significance (host > header > path > method > sni).
HOST_BIT: Final = 0x40
HEADER_BIT: Final = 0x20
PATH_BIT: Final = 0x10
METHOD_BIT: Final = 0x08
SNI_BIT: Final = 0x04

# Tie-breakers inside a category; compared as one integer, as Kong does.
_HAS_REGEX_PATH: Final = 0x01
_PLAIN_HOSTS_ONLY: Final = 0x02
_HAS_WILDCARD_HOST_PORT: Final = 0x04

_REGEX_META: Final = frozenset(".^$*+?{}[]()|\\")


@dataclass(slots=True)
class RequestView:
    """The request fields the matcher reads, lower-cased and split once per routing decision."""

    method: str
    host: str | None
    host_no_port: str
    host_with_port: str
    path: str
    scheme: str
    sni: str | None
    headers: Mapping[str, tuple[str, ...] | None]


@dataclass(frozen=True, slots=True)
class HeaderRule:
    name: str
    values: frozenset[str]
    pattern: re.Pattern[str] | None


@dataclass(slots=True, eq=False)
class CompiledRoute:
    route: Row
    service: Row | None
    order: int
    methods: frozenset[str] | None = None
    plain_hosts: dict[str, str] | None = None
    wildcard_hosts: tuple[tuple[re.Pattern[str], str], ...] = ()
    header_rules: tuple[HeaderRule, ...] = ()
    snis: frozenset[str] | None = None
    sni_wildcards: tuple[re.Pattern[str], ...] = ()
    path: str | None = None
    prefix: str | None = None
    regex: re.Pattern[str] | None = None
    broken: bool = False
    strip: bool = True
    path_handling: str = "v0"
    base_path: str = "/"
    sort_key: tuple[Any, ...] = ()
    rank: int = 0
    #: Position of this entry's category (which fields it matches on) in precedence order.
    category: int = 0

    @property
    def has_hosts(self) -> bool:
        return self.plain_hosts is not None

    def match(self, req: RequestView) -> Match | None:
        if self.broken:
            return None
        if self.methods is not None and req.method not in self.methods:
            return None
        if self.snis is not None and req.scheme != "http" and not self._sni_matches(req.sni):
            return None
        matched_host: str | None = None
        if self.plain_hosts is not None:
            matched_host = self._host_matches(req)
            if matched_host is None:
                return None
        for rule in self.header_rules:
            if not _header_matches(rule, req.headers.get(rule.name)):
                return None
        path = req.path
        captures: dict[str, Any] | None = None
        uri_prefix: str | None
        if self.prefix is not None:
            if not path or not path.startswith(self.prefix):
                return None
            uri_prefix = self.prefix
            postfix = sanitize_postfix(path[len(uri_prefix) :])
        elif self.regex is not None:
            if not path:
                return None
            found = self.regex.match(path)
            if found is None:
                return None
            end = found.end()
            uri_prefix = path[:end]
            postfix = sanitize_postfix(path[end:])
            if self.regex.groups:
                captures = {"unnamed": [path, *found.groups()], "named": found.groupdict()}
        else:
            uri_prefix = None
            postfix = path[1:]
        return Match(
            route=self.route,
            service=self.service,
            upstream_path=compose_upstream_path(self.base_path, path, postfix, self.strip, self.path_handling),
            matched_path=self.path,
            matched_prefix=uri_prefix if self.strip and uri_prefix not in (None, "", "/") else None,
            uri_captures=captures,
            matched_host=matched_host,
        )

    def _host_matches(self, req: RequestView) -> str | None:
        if req.host is None:
            return None
        hosts = self.plain_hosts
        assert hosts is not None
        value = hosts.get(req.host) or hosts.get(req.host_no_port)
        if value is not None:
            return value
        for pattern, original in self.wildcard_hosts:
            if pattern.match(req.host_with_port):
                return original
        return None

    def _sni_matches(self, sni: str | None) -> bool:
        if sni is None:
            return False
        assert self.snis is not None
        if sni in self.snis:
            return True
        return any(pattern.match(sni) for pattern in self.sni_wildcards)


def _header_matches(rule: HeaderRule, values: tuple[str, ...] | None) -> bool:
    if not values:
        return False
    for value in values:
        if value in rule.values:
            return True
        if rule.pattern is not None and rule.pattern.search(value):
            return True
    return False


def literal_prefix(pattern: str) -> str:
    """The literal text every match of an anchored `pattern` must start with ("" when unknown)."""
    if "|" in pattern:
        return ""
    chars: list[str] = []
    i = 1 if pattern.startswith("^") else 0
    size = len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\" and i + 1 < size and not pattern[i + 1].isalnum() and pattern[i + 1].isascii():
            char = pattern[i + 1]  # an escaped punctuation character (`\/`, `\.`) is literal
            i += 2
        elif char in _REGEX_META:
            if char in "*?{" and chars:
                chars.pop()
            break
        else:
            i += 1
        chars.append(char)
    return "".join(chars)


def _wildcard_regex(host: str, with_port: bool) -> re.Pattern[str]:
    body = ".+".join(re.escape(part) for part in host.split("*"))
    return re.compile(body + ("$" if with_port else r"(?::\d+)?$"))


def compile_route(route: Row, service: Row | None, order: int) -> list[CompiledRoute]:
    """Compile one route row into one entry per path (one entry when it has no paths); [] if not HTTP."""
    protocols = route.get("protocols") or ["http", "https"]
    if not HTTP_PROTOCOLS.intersection(protocols):
        return []
    base = CompiledRoute(route=route, service=service, order=order)
    base.strip = route.get("strip_path") is not False
    base.path_handling = route.get("path_handling") or "v0"
    if service is not None:
        base.base_path = service.get("path") or "/"
    submatch = _compile_hosts(base, route.get("hosts"))
    _compile_headers(base, route.get("headers"))
    _compile_methods(base, route.get("methods"))
    _compile_snis(base, route.get("snis"))
    bits = (
        (HOST_BIT if base.plain_hosts is not None else 0)
        | (HEADER_BIT if base.header_rules else 0)
        | (METHOD_BIT if base.methods is not None else 0)
        | (SNI_BIT if base.snis is not None else 0)
    )
    paths: Any = route.get("paths")
    if not paths:
        if bits == 0:
            return []
        base.sort_key = _sort_key(base, bits, submatch, 0, regex=False)
        return [base]
    entries = []
    for path in paths:
        entry = _copy(base)
        entry.path = path
        if is_regex_path(path):
            try:
                entry.regex = compile_route_regex(path)
            except re.error:
                _log.warning("route %s: path %r is an invalid regex; path ignored", route.get("id"), path)
                continue
            entry.sort_key = _sort_key(entry, bits | PATH_BIT, submatch | _HAS_REGEX_PATH, 0, regex=True)
        else:
            entry.prefix = normalize_path(path)
            entry.sort_key = _sort_key(entry, bits | PATH_BIT, submatch, len(path), regex=False)
        entries.append(entry)
    return entries


def _compile_hosts(entry: CompiledRoute, hosts: Any) -> int:
    """Fill in host matchers; return the host-related tie-breaker bits."""
    if not hosts:
        return 0
    submatch = 0
    plain: dict[str, str] = {}
    wildcards: list[tuple[re.Pattern[str], str]] = []
    for host in hosts:
        lowered = host.lower()
        if "*" in lowered:
            has_port = _has_port(lowered)
            if has_port:
                submatch |= _HAS_WILDCARD_HOST_PORT
            wildcards.append((_wildcard_regex(lowered, has_port), host))
        else:
            plain[lowered] = host
            if lowered.startswith("[") and lowered.endswith("]"):
                plain[lowered[1:-1]] = host  # a bracketed IPv6 literal also matches its bare form
    entry.plain_hosts = plain
    entry.wildcard_hosts = tuple(wildcards)
    return submatch if wildcards else submatch | _PLAIN_HOSTS_ONLY


def _compile_headers(entry: CompiledRoute, headers: Any) -> None:
    if not headers:
        return
    rules = []
    for name, values in headers.items():
        lowered_name = name.lower()
        if lowered_name == "host":
            continue
        pattern = None
        if len(values) == 1 and values[0].startswith("~*"):
            try:
                pattern = re.compile(pcre_to_python(values[0][2:]))
            except re.error:
                _log.warning("route %s: header %s has an invalid regex; route disabled", entry.route.get("id"), name)
                entry.broken = True
        rules.append(HeaderRule(lowered_name, frozenset(v.lower() for v in values), pattern))
    entry.header_rules = tuple(rules)


def _compile_methods(entry: CompiledRoute, methods: Any) -> None:
    if methods:
        entry.methods = frozenset(m.upper() for m in methods)


def _compile_snis(entry: CompiledRoute, snis: Any) -> None:
    if not snis:
        return
    plain: set[str] = set()
    wildcards: list[re.Pattern[str]] = []
    for sni in snis:
        lowered = sni.lower()
        if len(lowered) > 1 and lowered.endswith("."):
            lowered = lowered[:-1]  # the root dot of an FQDN plays no part in routing
        if "*" in lowered:
            wildcards.append(_wildcard_regex(lowered, with_port=True))
        else:
            plain.add(lowered)
    entry.snis = frozenset(plain)
    entry.sni_wildcards = tuple(wildcards)


def _copy(entry: CompiledRoute) -> CompiledRoute:
    return CompiledRoute(
        route=entry.route,
        service=entry.service,
        order=entry.order,
        methods=entry.methods,
        plain_hosts=entry.plain_hosts,
        wildcard_hosts=entry.wildcard_hosts,
        header_rules=entry.header_rules,
        snis=entry.snis,
        sni_wildcards=entry.sni_wildcards,
        broken=entry.broken,
        strip=entry.strip,
        path_handling=entry.path_handling,
        base_path=entry.base_path,
    )


def _sort_key(entry: CompiledRoute, bits: int, submatch: int, path_length: int, *, regex: bool) -> tuple[Any, ...]:
    route = entry.route
    regex_priority = (route.get("regex_priority") or 0) if regex else 0
    created_at = route.get("created_at")
    return (
        -bits.bit_count(),
        -bits,
        -submatch,
        -len(entry.header_rules),
        -regex_priority,
        -path_length,
        created_at if created_at is not None else float("inf"),
        entry.order,
    )


def _has_port(host: str) -> bool:
    name, with_port = split_host_port(host, 0)
    return with_port == host and name != host
