"""Origin matching as Kong's cors plugin does it: exact origins, or regexes over the origin or its host."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["AllowedOrigin", "NormalizedOrigin", "compile_origin", "looks_literal", "normalize_origin"]

_LITERAL = re.compile(r"^[A-Za-z0-9.:/-]+$")


@dataclass(frozen=True, slots=True)
class NormalizedOrigin:
    domain: str  # scheme://host[:port], default ports dropped
    host: str


@dataclass(frozen=True, slots=True)
class AllowedOrigin:
    literal: str | None
    regex: re.Pattern[str] | None
    by_host: bool  # a regex without `:` is matched against the host only

    def matches(self, origin: NormalizedOrigin) -> bool:
        if self.regex is not None:
            return self.regex.fullmatch(origin.host if self.by_host else origin.domain) is not None
        return origin.domain == self.literal


def looks_literal(entry: str) -> bool:
    return _LITERAL.match(entry) is not None


def normalize_origin(value: str) -> NormalizedOrigin:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return NormalizedOrigin(value, value)
    if not parts.hostname:
        return NormalizedOrigin(value, value)
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        host = host[: host.rfind(":")]
        if (parts.scheme, port) in (("http", 80), ("https", 443)):
            port = None
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return NormalizedOrigin(f"{scheme}{host}{f':{port}' if port is not None else ''}", host)


def compile_origin(entry: str) -> AllowedOrigin:
    by_host = ":" not in entry
    if looks_literal(entry):
        return AllowedOrigin(normalize_origin(entry).domain, None, by_host)
    # Kong anchors regexes at both ends and accepts them explicitly anchored too.
    pattern = entry[1:] if entry.startswith("^") else entry
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1]
    return AllowedOrigin(None, re.compile(pattern), by_host)
