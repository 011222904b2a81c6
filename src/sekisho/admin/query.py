"""Query options of list endpoints: `size`, `offset` and the `tags` filter, with Kong's errors."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sekisho.errors import ErrorCode, StoreError

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "MAX_TAGS", "ListOptions", "list_options", "parse_tags"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_TAGS = 5

# printable ASCII except ',' and '/', plus any non-ASCII character (kong/api/endpoints.lua)
_TAG_CHARS = r"\x20-\x2B\x2D\x2E\x30-\x7E\u0080-\U0010FFFF"
_TAGS_AND = re.compile(rf"^(?:[{_TAG_CHARS}]+(?:,|$))+$")
_TAGS_OR = re.compile(rf"^(?:[{_TAG_CHARS}]+(?:/|$))+$")


@dataclass(frozen=True, slots=True)
class ListOptions:
    size: int
    offset: str | None
    tags: list[str] | None
    tags_match: Literal["and", "or"]
    raw_size: str | None
    raw_tags: str | None


def _invalid_options(message: str) -> StoreError:
    return StoreError(ErrorCode.INVALID_OPTIONS, f"invalid option (tags: {message})", {"tags": message})


def parse_tags(raw: str) -> tuple[list[str], Literal["and", "or"]]:
    """`a,b` means all of them, `a/b` any of them; anything else is Kong's `invalid filter syntax`."""
    if _TAGS_AND.match(raw):
        tags, match = raw.split(","), "and"
    elif _TAGS_OR.match(raw):
        tags, match = raw.split("/"), "or"
    else:
        raise _invalid_options("invalid filter syntax")
    tags = [t for t in tags if t]
    if len(tags) > MAX_TAGS:
        raise _invalid_options(f"cannot query more than {MAX_TAGS} tags")
    return tags, "and" if match == "and" else "or"


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = float(raw)
    except ValueError:
        size = math.nan
    if math.isnan(size):
        raise StoreError(ErrorCode.INVALID_SIZE, "size must be a number")
    if not size.is_integer() or not 1 <= size <= MAX_PAGE_SIZE:
        raise StoreError(ErrorCode.INVALID_SIZE, f"size must be an integer between 1 and {MAX_PAGE_SIZE}")
    return int(size)


def list_options(query: Mapping[str, str], *, with_tags: bool) -> ListOptions:
    raw_size = query.get("size")
    offset = query.get("offset") or None
    raw_tags = query.get("tags") if with_tags else None
    tags: list[str] | None = None
    match: Literal["and", "or"] = "and"
    if raw_tags is not None:
        tags, match = parse_tags(raw_tags)
    return ListOptions(_page_size(raw_size), offset, tags, match, raw_size, raw_tags)
