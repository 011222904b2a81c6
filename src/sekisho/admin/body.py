"""Request bodies as Kong's Admin API reads them: JSON, url-encoded forms and multipart forms.

Form bodies are decoded into nested data (see `forms.py`) but stay strings; the caller coerces them with
the entity schema (`EntitySchema.coerce_form`), as Kong infers form values from its schemas.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from sekisho.admin.errors import AdminHTTPError
from sekisho.admin.forms import MAX_FORM_FIELDS, FormTooLarge, decode_form

__all__ = ["Body", "read_body", "read_raw_body"]

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_TEXT_TYPES = ("text/yaml", "text/x-yaml", "application/yaml", "application/x-yaml", "text/plain")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class Body:
    """A decoded body. `is_form` means values are still strings awaiting schema coercion."""

    data: dict[str, Any] = field(default_factory=dict)
    is_form: bool = False
    text: str | None = None
    """The raw text for bodies that are neither JSON nor a form (only where the endpoint allows them)."""


async def read_raw_body(request: Request, max_size: int) -> bytes:
    """The body, refusing more than `max_size` bytes with 413 before reading it when the length is declared."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise AdminHTTPError(400, "Bad Request") from None
        if length > max_size:
            raise _too_large()
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_size:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> AdminHTTPError:
    return AdminHTTPError(413, "Request Entity Too Large")


async def read_body(request: Request, max_size: int, *, allow_text: bool = False) -> Body:
    """Decode the body of a POST/PUT/PATCH; other methods (and empty bodies) yield an empty `Body`."""
    if request.method not in _BODY_METHODS:
        return Body()
    content_type = request.headers.get("content-type", "").lower()
    raw = await read_raw_body(request, max_size)
    if content_type.startswith(_JSON):
        return Body(_decode_json(raw))
    if content_type.startswith(_FORM):
        return Body(_decode(parse_qsl(_text(raw), keep_blank_values=True)), is_form=True)
    if content_type.startswith(_MULTIPART):
        return Body(_decode(await _multipart_items(request, raw, max_size)), is_form=True)
    if not raw:
        return Body()
    if allow_text and (not content_type or content_type.startswith(_TEXT_TYPES)):
        return Body(text=_text(raw))
    raise AdminHTTPError(415, "Unsupported Media Type")


def _text(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise AdminHTTPError(400, "Cannot decode body as UTF-8") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _decode_json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise AdminHTTPError(400, "Cannot parse JSON body") from None
    if not isinstance(value, dict):
        raise AdminHTTPError(400, "Cannot parse JSON body")
    return value


def _decode(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    try:
        return decode_form(pairs)
    except FormTooLarge as exc:
        raise AdminHTTPError(400, str(exc)) from None


async def _multipart_items(request: Request, raw: bytes, max_size: int) -> list[tuple[str, Any]]:
    async def replay() -> AsyncGenerator[bytes, None]:
        yield raw

    parser = MultiPartParser(
        request.headers, replay(), max_files=MAX_FORM_FIELDS, max_fields=MAX_FORM_FIELDS, max_part_size=max_size
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise AdminHTTPError(400, exc.message) from None
    items: list[tuple[str, Any]] = []
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                items.append((name, _text(await value.read())))
            else:
                items.append((name, value))
    finally:
        await form.close()
    return items
