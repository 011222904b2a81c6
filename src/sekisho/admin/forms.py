"""Kong's form argument decoding (kong/api/arguments.lua): flat `name=value` pairs become nested data.

- dotted keys nest records: `config.key_names=apikey` -> `{"config": {"key_names": "apikey"}}`
- `k[]=a&k[]=b` appends, `k[1]=a&k[2]=b` places (1-based) -> `{"k": ["a", "b"]}`
- a key repeated without brackets collects a list: `k=a&k=b` -> `{"k": ["a", "b"]}`
- an empty value means null (`name=` unsets a field), as Kong's `infer_value` does

Types are inferred later, by the entity schema's `coerce_form`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MAX_FORM_FIELDS", "FormTooLarge", "decode_form", "empty_strings_to_null"]

MAX_FORM_FIELDS = 1000

_INDEX_RE = re.compile(r"^(.+?)((?:\[\d*\])+)$")
_SUBSCRIPT_RE = re.compile(r"\[(\d*)\]")
_MAX_INDEX = MAX_FORM_FIELDS


class FormTooLarge(ValueError):
    """More fields (or a larger array index) than the Admin API accepts."""


class _Indexed(dict[int, Any]):
    """An array under construction: explicit 1-based indexes, appended items after them."""


def decode_form(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Decode `(name, value)` pairs (values are strings, or text of uploaded files) into nested data."""
    grouped: dict[str, list[Any]] = {}
    for count, (name, value) in enumerate(pairs, start=1):
        if count > MAX_FORM_FIELDS:
            raise FormTooLarge(f"too many arguments (at most {MAX_FORM_FIELDS})")
        grouped.setdefault(name, []).append(value)
    out: dict[str, Any] = {}
    for name, values in grouped.items():
        _assign(out, name, values)
    finished: dict[str, Any] = _finish(out)
    return finished


def _path(name: str) -> list[str | int | None]:
    """`a.b[2][].c` -> ["a", "b", 2, None, "c"]; None marks an append (`[]`)."""
    if name.startswith(".") or name.endswith("."):
        return [name]
    path: list[str | int | None] = []
    for part in name.split("."):
        if not part:
            continue
        match = _INDEX_RE.match(part)
        if match is None:
            path.append(part)
            continue
        path.append(match.group(1))
        for index in _SUBSCRIPT_RE.findall(match.group(2)):
            if not index:
                path.append(None)
                continue
            number = int(index)
            if number > _MAX_INDEX:
                raise FormTooLarge(f"array index too large in '{name}'")
            path.append(number)
    return path or [name]


def _assign(root: dict[str, Any], name: str, values: list[Any]) -> None:
    path = _path(name)
    node: Any = root
    for position, key in enumerate(path[:-1]):
        wants_array = not isinstance(path[position + 1], str)
        child = _get(node, key)
        if wants_array:
            fits = isinstance(child, _Indexed)
        else:
            fits = isinstance(child, dict) and not isinstance(child, _Indexed)
        if not fits:
            child = _Indexed() if wants_array else {}
            _set(node, key, child)
        node = child
    last = path[-1]
    if last is None:
        for value in values:
            _append(node, value)
        return
    _set(node, last, values[0] if len(values) == 1 else list(values))


def _get(node: Any, key: str | int | None) -> Any:
    if key is None:
        return None
    if isinstance(node, _Indexed):
        return node.get(key) if isinstance(key, int) else None
    return node.get(key) if isinstance(key, str) else None


def _set(node: Any, key: str | int | None, value: Any) -> Any:
    """Store `value` under `key` in `node`; returns `value` (appending when `key` is None)."""
    if key is None:
        _append(node, value)
    elif isinstance(node, _Indexed):
        if isinstance(key, int):
            node[key] = value
    elif isinstance(key, str):
        node[key] = value
    return value


def _append(node: Any, value: Any) -> None:
    if isinstance(node, _Indexed):
        if len(node) >= _MAX_INDEX:
            raise FormTooLarge("too many array items")
        node[max(node, default=0) + 1] = value


def _finish(value: Any) -> Any:
    if isinstance(value, _Indexed):
        return [_finish(value[k]) for k in sorted(value)]
    if isinstance(value, dict):
        return {k: _finish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finish(v) for v in value]
    return value


def empty_strings_to_null(value: Any) -> Any:
    """Kong's form inference turns `""` into null, at any depth."""
    if value == "":
        return None
    if isinstance(value, dict):
        return {k: empty_strings_to_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [empty_strings_to_null(v) for v in value]
    return value
