"""`multipart/form-data` bodies as ordered parts: parse, transform by field name, encode with the same boundary."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sekisho.plugins.request_transformer.templates import Template
from sekisho.plugins.request_transformer.transform import Operations

__all__ = ["Part", "boundary_of", "encode", "parse", "transform"]

_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_NAME = re.compile(rb'(;\s*name=)("(?:[^"\\]|\\.)*"|[^;\s]+)', re.IGNORECASE)
_FILENAME = re.compile(rb";\s*filename\*?=", re.IGNORECASE)


@dataclass(slots=True)
class Part:
    head: bytes  # the part's header lines, without the blank line
    content: bytes

    @property
    def name(self) -> str | None:
        for line in self.head.split(b"\r\n"):
            if line.lower().startswith(b"content-disposition:"):
                found = _NAME.search(line)
                if found is None:
                    return None
                return found.group(2).strip(b'"').decode("utf-8", "replace")
        return None

    @property
    def is_file(self) -> bool:
        return any(
            line.lower().startswith(b"content-disposition:") and _FILENAME.search(line) is not None
            for line in self.head.split(b"\r\n")
        )

    def renamed(self, new_name: str) -> Part:
        quoted = b'"' + new_name.replace('"', "%22").encode() + b'"'

        def replace_name(match: re.Match[bytes]) -> bytes:
            return match.group(1) + quoted

        lines = []
        for line in self.head.split(b"\r\n"):
            if line.lower().startswith(b"content-disposition:"):
                line = _NAME.sub(replace_name, line, count=1)
            lines.append(line)
        return Part(b"\r\n".join(lines), self.content)


def text_part(name: str, value: str) -> Part:
    quoted = name.replace('"', "%22")
    return Part(f'Content-Disposition: form-data; name="{quoted}"'.encode(), value.encode())


def boundary_of(content_type: str | None) -> str | None:
    found = _BOUNDARY.search(content_type or "")
    if found is None:
        return None
    return found.group(1) or found.group(2)


def parse(body: bytes, boundary: str) -> list[Part] | None:
    """The parts of a well-formed body, or None (then the body is left alone)."""
    delimiter = b"--" + boundary.encode("latin-1")
    segments = body.split(delimiter)
    if len(segments) < 2:
        return None
    parts: list[Part] = []
    for segment in segments[1:]:
        if segment.startswith(b"--"):
            return parts
        if not segment.startswith(b"\r\n") or not segment.endswith(b"\r\n"):
            return None
        head, separator, content = segment[2:-2].partition(b"\r\n\r\n")
        if not separator:
            return None
        parts.append(Part(head, content))
    return None  # no closing delimiter


def encode(parts: list[Part], boundary: str) -> bytes:
    delimiter = b"--" + boundary.encode("latin-1")
    out = bytearray()
    for part in parts:
        out += delimiter + b"\r\n" + part.head + b"\r\n\r\n" + part.content + b"\r\n"
    out += delimiter + b"--\r\n"
    return bytes(out)


def transform(parts: list[Part], ops: Operations, render: Callable[[Template], str]) -> bool:
    """Apply `ops` in Kong's order to the parts (in place); file parts are only removed or renamed."""
    changed = False
    for entry in ops.remove:
        kept = [p for p in parts if p.name != entry.name]
        changed = changed or len(kept) != len(parts)
        parts[:] = kept
    for entry in ops.rename:
        new_name = render(entry.value) if entry.value is not None else ""
        if not new_name or new_name == entry.name:
            continue
        for index, part in enumerate(parts):
            if part.name == entry.name:
                parts[index] = part.renamed(new_name)
                changed = True
    for entry in ops.replace:
        if entry.value is None:
            continue
        for part in parts:
            if part.name == entry.name and not part.is_file:
                part.content = render(entry.value).encode()
                changed = True
    for entry in ops.add:
        if entry.value is not None and all(p.name != entry.name for p in parts):
            parts.append(text_part(entry.name, render(entry.value)))
            changed = True
    for entry in ops.append:
        if entry.value is not None:
            parts.append(text_part(entry.name, render(entry.value)))
            changed = True
    return changed
