"""Kong's convention for repeated names (query args, headers, form fields): one value, or a list of them."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["collect_values"]


def collect_values(pairs: Iterable[tuple[str, str]], limit: int = 0) -> dict[str, str | list[str]]:
    """Group (name, value) pairs: a name seen once maps to its value, a repeated one to a list in order.
    With `limit` > 0 only the first `limit` pairs are read (Kong's `max_args` / `max_headers`)."""
    out: dict[str, str | list[str]] = {}
    for count, (name, value) in enumerate(pairs):
        if limit and count >= limit:
            break
        existing = out.get(name)
        if existing is None:
            out[name] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            out[name] = [existing, value]
    return out
