"""Values with `$(...)` placeholders, as Kong's request-transformer renders them.

Kong evaluates Lua expressions inside `$(...)`; sekisho runs no user code and supports the lookups those
templates are used for: `headers`, `query_params`, `uri_captures` and `shared` (kong.ctx.shared), written
`$(headers.x_api_version)`, `$(headers["x-api-version"])`, `$(uri_captures[1])` or `$(uri_captures.id)`.
A missing value renders as an empty string."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SOURCES", "Template", "TemplateError", "parse_template"]

SOURCES = ("headers", "query_params", "uri_captures", "shared")

_PLACEHOLDER = re.compile(r"\$\((.*?)\)")
_LOOKUP = re.compile(
    r"""^\s*(?P<source>[a-z_]+)\s*(?:\.(?P<attr>[A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:(?P<index>\d+)|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')\s*\])\s*$"""
)


class TemplateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Lookup:
    source: str
    key: str | int


@dataclass(frozen=True, slots=True)
class Template:
    parts: tuple[str | _Lookup, ...]

    @property
    def is_static(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    def render(self, lookup: Callable[[str, str | int], Any]) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = lookup(part.source, part.key)
            if isinstance(value, list):
                value = value[0] if value else None
            out.append("" if value is None else str(value))
        return "".join(out)


def parse_template(text: str) -> Template:
    parts: list[str | _Lookup] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        parts.append(_parse_lookup(match.group(1)))
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return Template(tuple(parts))


def _parse_lookup(expression: str) -> _Lookup:
    found = _LOOKUP.match(expression)
    if found is None or found.group("source") not in SOURCES:
        raise TemplateError(
            f"only lookups in {', '.join(SOURCES)} are supported (for example $(headers.x_name)), got '{expression}'"
        )
    source = found.group("source")
    if found.group("index") is not None:
        return _Lookup(source, int(found.group("index")))
    key = found.group("attr") or found.group("dq") or found.group("sq") or ""
    if source == "headers":
        key = key.lower().replace("_", "-")
    return _Lookup(source, key)


def lookup_in(env: Mapping[str, Any]) -> Callable[[str, str | int], Any]:
    """A lookup function over already gathered sources (used by tests and the handler)."""

    def lookup(source: str, key: str | int) -> Any:
        table = env.get(source)
        if isinstance(table, Mapping):
            return table.get(key) if not isinstance(key, int) else table.get(key, table.get(str(key)))
        if isinstance(table, list | tuple) and isinstance(key, int):
            return table[key - 1] if 0 < key <= len(table) else None
        return None

    return lookup
