"""Header names the proxy adds, strips or edits, and the edit set plugins build through the PDK."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Final

__all__ = [
    "HOP_BY_HOP",
    "IDENTITY_HEADERS",
    "HeaderEdits",
    "first_value",
    "header_map",
]

# Identity headers auth plugins set upstream; any client-supplied copy is dropped before plugins run.
IDENTITY_HEADERS: Final[frozenset[bytes]] = frozenset(
    name.replace(b"_", b"-")
    for name in (
        b"x-consumer-id",
        b"x-consumer-custom-id",
        b"x-consumer-username",
        b"x-credential-identifier",
        b"x-credential-username",
        b"x-anonymous-consumer",
        b"x-consumer-groups",
        b"x-authenticated-groups",
        b"x-authenticated-scope",
        b"x-authenticated-userid",
    )
)

# Not forwarded upstream as received: hop-by-hop headers plus those the proxy sets itself.
HOP_BY_HOP: Final[frozenset[bytes]] = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
        b"host",
        b"expect",
        b"x-real-ip",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-forwarded-port",
        b"x-forwarded-path",
        b"x-forwarded-prefix",
    }
)

# Response headers from the upstream the proxy re-frames itself.
RESPONSE_HOP_BY_HOP: Final[frozenset[bytes]] = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"te", b"trailer", b"upgrade"}
)


def header_map(raw: Iterable[tuple[bytes, bytes]], limit: int = 0) -> dict[str, str | list[str]]:
    """Lower-cased names; repeated headers as lists (kong.request.get_headers)."""
    out: dict[str, str | list[str]] = {}
    count = 0
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        existing = out.get(key)
        if existing is None:
            count += 1
            if limit and count > limit:
                break
            out[key] = text
        elif isinstance(existing, list):
            existing.append(text)
        else:
            out[key] = [existing, text]
    return out


def first_value(raw: Iterable[tuple[bytes, bytes]], lower_name: bytes) -> bytes | None:
    for name, value in raw:
        if name.lower() == lower_name:
            return value
    return None


def _text(value: str | int) -> str:
    text = str(value)
    if "\r" in text or "\n" in text:
        raise ValueError("invalid header value: contains CR or LF")
    return text


_BAD_NAME = re.compile(r"[\r\n: \t]|^$").search
_NAME_CACHE_LIMIT = 4096
_ENCODED_NAMES: dict[str, tuple[bytes, bytes]] = {}


def _name(name: str) -> str:
    if _BAD_NAME(name):
        raise ValueError(f"invalid header name: {name!r}")
    return name


def _encoded_name(name: str) -> tuple[bytes, bytes]:
    """(name as given, lower case) in latin-1, validated; memoized: plugins set the same few names."""
    found = _ENCODED_NAMES.get(name)
    if found is None:
        encoded = _name(name).encode("latin-1")
        found = (encoded, encoded.lower())
        if len(_ENCODED_NAMES) < _NAME_CACHE_LIMIT:
            _ENCODED_NAMES[name] = found
    return found


class HeaderEdits:
    """Set/add/clear edits over a raw header list, applied when the headers are serialized.

    `values` maps a lower-cased name to (name as given, values) for names set or cleared (an empty list means
    cleared): those replace whatever the base list holds. `added` holds values added to names not set or
    cleared: they go after the base list's own, which stay, including those of a response that has not
    arrived yet when a plugin adds a header in its access phase (an upstream's Set-Cookie is kept)."""

    __slots__ = ("added", "values")

    def __init__(self) -> None:
        self.values: dict[bytes, tuple[bytes, list[bytes]]] = {}
        self.added: dict[bytes, tuple[bytes, list[bytes]]] = {}

    def __bool__(self) -> bool:
        return bool(self.values) or bool(self.added)

    def touches(self, lower: bytes) -> bool:
        return lower in self.values or lower in self.added

    def set(self, name: str, value: str | int | list[str]) -> None:
        encoded, lower = _encoded_name(name)
        if self.added:
            self.added.pop(lower, None)
        if isinstance(value, str) and "\r" not in value and "\n" not in value:
            self.values[lower] = (encoded, [value.encode("latin-1")])
            return
        values = value if isinstance(value, list) else [value]
        self.values[lower] = (encoded, [_text(v).encode("latin-1") for v in values])

    def add(self, name: str, value: str | int) -> None:
        encoded, lower = _encoded_name(name)
        self._add(lower, encoded, [_text(value).encode("latin-1")])

    def _add(self, lower: bytes, encoded: bytes, texts: list[bytes]) -> None:
        # New lists, never appends: value lists may be shared with a prepared set (see `merge`).
        current = self.values.get(lower)
        if current is not None:
            self.values[lower] = (current[0], current[1] + texts)
            return
        current = self.added.get(lower)
        self.added[lower] = (encoded, texts) if current is None else (current[0], current[1] + texts)

    def clear(self, name: str) -> None:
        found = _ENCODED_NAMES.get(name)
        if found is None:
            encoded = name.encode("latin-1")
            found = (encoded, encoded.lower())
        if self.added:
            self.added.pop(found[1], None)
        self.values[found[1]] = (found[0], [])

    @classmethod
    def prepared(cls, ops: Iterable[tuple[str, str, str]]) -> HeaderEdits:
        """("set" | "add" | "clear", name, value) edits checked and encoded once, to `merge` into the edits
        of many requests: merging gives what doing the same edits one by one would."""
        edits = cls()
        for op, name, value in ops:
            if op == "set":
                edits.set(name, value)
            elif op == "add":
                edits.add(name, value)
            elif op == "clear":
                edits.clear(name)
            else:
                raise ValueError(f"unknown header edit {op!r}")
        return edits

    def merge(self, prepared: HeaderEdits) -> None:
        """Do `prepared`'s edits on top of these. Value lists are shared, not copied: none is ever appended to."""
        values, added = self.values, self.added
        if prepared.values:
            if added:
                for lower in prepared.values:
                    added.pop(lower, None)
            values.update(prepared.values)
        for lower, (encoded, texts) in prepared.added.items():
            self._add(lower, encoded, texts)

    def set_many(self, headers: Mapping[str, str | list[str]]) -> None:
        for name, value in headers.items():
            self.set(name, value)

    def get(self, lower: bytes, base: Iterable[tuple[bytes, bytes]]) -> bytes | None:
        edited = self.values.get(lower)
        if edited is not None:
            return edited[1][0] if edited[1] else None
        found = first_value(base, lower)
        if found is None and lower in self.added:
            return self.added[lower][1][0]
        return found

    def apply(self, base: Iterable[tuple[bytes, bytes]]) -> Iterator[tuple[bytes, bytes]]:
        """The raw headers with edits applied: set or cleared names replaced, added values after the base's
        own, all edits at the end."""
        edits = self.values
        for name, value in base:
            if name.lower() not in edits:
                yield name, value
        for name, values in edits.values():
            for value in values:
                yield name, value
        for name, values in self.added.values():
            for value in values:
                yield name, value
