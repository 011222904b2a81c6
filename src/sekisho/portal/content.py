"""Content pages from portal files: `content/<path>.{txt,md}` (or `content/<path>/index.txt`) with YAML
headmatter (`title`, `readable_by`, `output`), shown at `/<ws>/<path>`. Bodies are shown as text paragraphs
(the portal template language is not implemented)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from sekisho.store.base import Database

__all__ = ["ContentPage", "declared_readable_by", "find_page", "parse_content"]

_SUFFIXES = (".txt", ".md")
MAX_PATH = 256


@dataclass(frozen=True, slots=True)
class ContentPage:
    path: str
    title: str
    paragraphs: list[str]
    readable_by: Any
    """None (public), "*" (any approved developer) or a list of role names."""


def parse_content(path: str, contents: str) -> ContentPage | None:
    """None when the file opts out of output (`output: false`) or its headmatter is not YAML."""
    head: dict[str, Any] = {}
    body = contents
    if contents.startswith("---"):
        _, _, rest = contents.partition("\n")
        matter, sep, after = rest.partition("\n---")
        if sep:
            try:
                loaded = yaml.safe_load(matter)
            except yaml.YAMLError:
                return None
            head = loaded if isinstance(loaded, dict) else {}
            body = after.partition("\n")[2]
    if head.get("output") is False:
        return None
    paragraphs = [" ".join(block.split()) for block in body.split("\n\n") if block.strip()]
    name = path.removeprefix("content/").rsplit(".", 1)[0]
    return ContentPage(path, str(head.get("title") or name), paragraphs, head.get("readable_by"))


async def find_page(db: Database, route: str) -> ContentPage | None:
    route = route.strip("/")
    if not route or len(route) > MAX_PATH or any(part in ("", ".", "..") for part in route.split("/")):
        return None
    for candidate in [f"content/{route}{suffix}" for suffix in _SUFFIXES] + [f"content/{route}/index.txt"]:
        row = await db.select_by("files", "path", candidate)
        if row is not None:
            return parse_content(candidate, str(row["contents"]))
    return None


def declared_readable_by(path: str, contents: str) -> Any:
    """The `readable_by` a file declares: content headmatter, or a spec's `x-headmatter`."""
    if path.startswith("content/"):
        page = parse_content(path, contents)
        return page.readable_by if page is not None else None
    if path.startswith("specs/"):
        from sekisho.portal.files import parse_spec

        doc = parse_spec(contents)
        head = doc.get("x-headmatter") if doc else None
        return head.get("readable_by") if isinstance(head, dict) else None
    return None
