"""The request-transformer operations on parameter tables (query strings and bodies), pure and ordered like Kong.

Order within a table: remove, rename, replace (only present names), add (only absent names), append."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sekisho.plugins.request_transformer.schema import split_pair
from sekisho.plugins.request_transformer.templates import Template, parse_template

__all__ = ["Entry", "Operations", "Params", "append_value", "apply_operations", "parse_entries"]

Params = dict[str, "str | list[str] | object"]
Render = Callable[[Template], str]


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    value: Template | None  # None for `remove` entries and bare names


@dataclass(frozen=True, slots=True)
class Operations:
    remove: tuple[Entry, ...] = ()
    rename: tuple[Entry, ...] = ()
    replace: tuple[Entry, ...] = ()
    add: tuple[Entry, ...] = ()
    append: tuple[Entry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.remove or self.rename or self.replace or self.add or self.append)


def parse_entries(entries: list[str] | None, *, names_only: bool = False) -> tuple[Entry, ...]:
    out: list[Entry] = []
    for entry in entries or []:
        if names_only:
            out.append(Entry(entry, None))
            continue
        name, value = split_pair(entry)
        out.append(Entry(name, parse_template(value) if value else None))
    return tuple(out)


def append_value(current: object, value: str) -> list[object]:
    if current is None:
        return [value]
    if isinstance(current, list):
        return [*current, value]
    return [current, value]


def apply_operations(params: Params, ops: Operations, render: Render, *, has_content: bool) -> bool:
    """Apply `ops` to `params` in place; returns whether anything changed.

    Like Kong's body handling, remove/rename/replace only act when the original had content."""
    changed = False
    if has_content:
        for entry in ops.remove:
            if entry.name in params:
                del params[entry.name]
                changed = True
        for entry in ops.rename:
            new_name = render(entry.value) if entry.value is not None else ""
            if new_name and new_name != entry.name and entry.name in params:
                params[new_name] = params.pop(entry.name)
                changed = True
        for entry in ops.replace:
            if entry.name in params and entry.value is not None:
                params[entry.name] = render(entry.value)
                changed = True
    for entry in ops.add:
        if entry.name not in params and entry.value is not None:
            params[entry.name] = render(entry.value)
            changed = True
    for entry in ops.append:
        if entry.value is not None:
            params[entry.name] = append_value(params.get(entry.name), render(entry.value))
            changed = True
    return changed
