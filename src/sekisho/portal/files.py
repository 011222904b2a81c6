"""Portal files (`specs/`, `content/`, `themes/`, ...): checksums, the seed set and the API catalog."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from sekisho.store.base import Database, Row

__all__ = ["SEED_FILES", "SpecEntry", "catalog", "parse_spec", "seed_files", "with_checksum"]

SEED_SPEC = """openapi: 3.0.3
info:
  title: Echo API
  version: 1.0.0
  description: A sample API served through the gateway. Call it with your application's key in `apikey`.
paths:
  /anything:
    get:
      summary: Echo the request
      security: [{apikey: []}]
      responses:
        "200": {description: The request as the upstream saw it}
components:
  securitySchemes:
    apikey: {type: apiKey, in: header, name: apikey}
"""

SEED_FILES: dict[str, str] = {
    "portal.conf.yaml": (
        "name: Developer Portal\ntheme:\n  name: base\nredirect:\n  unauthenticated: login\n"
        "  unauthorized: unauthorized\n  login: ''\n  logout: ''\n"
    ),
    "content/index.txt": "---\nlayout: index.html\ntitle: Home\n---\nWelcome to the developer portal.\n",
    "specs/echo.yaml": SEED_SPEC,
}


def with_checksum(data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if isinstance(out.get("contents"), str):
        out["checksum"] = hashlib.sha256(out["contents"].encode()).hexdigest()
    return out


async def seed_files(db: Database) -> None:
    """Kong seeds a new portal with its default template files; we seed a minimal set once."""
    if await db.count("files") > 0:
        return
    for path, contents in SEED_FILES.items():
        await db.insert("files", with_checksum({"path": path, "contents": contents}))


def parse_spec(contents: str) -> dict[str, Any] | None:
    """An OpenAPI/Swagger document from YAML or JSON text, None when it is not one."""
    try:
        doc = json.loads(contents) if contents.lstrip().startswith("{") else yaml.safe_load(contents)
    except (ValueError, yaml.YAMLError):
        return None
    if not isinstance(doc, dict) or not ("openapi" in doc or "swagger" in doc):
        return None
    return doc


@dataclass(frozen=True, slots=True)
class SpecEntry:
    name: str
    path: str
    title: str
    version: str
    description: str
    readable_by: Any = None


async def catalog(db: Database) -> list[SpecEntry]:
    """Every parseable spec under `specs/`, by name."""
    entries: list[SpecEntry] = []
    for row in await _specs(db):
        doc = parse_spec(row["contents"])
        if doc is None:
            continue
        raw_info = doc.get("info")
        info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
        name = row["path"].removeprefix("specs/").rsplit(".", 1)[0]
        entries.append(
            SpecEntry(
                name=name,
                path=row["path"],
                title=str(info.get("title") or name),
                version=str(info.get("version") or ""),
                description=str(info.get("description") or ""),
                readable_by=head.get("readable_by") if isinstance(head := doc.get("x-headmatter"), dict) else None,
            )
        )
    return sorted(entries, key=lambda e: e.name)


async def _specs(db: Database) -> list[Row]:
    return [row for row in await db.all("files") if str(row.get("path", "")).startswith("specs/")]
