"""`GET /tags` and `GET /tags/{tag}`: every tagged entity as `{entity_name, entity_id, tag}` rows."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.context import AdminContext
from sekisho.admin.endpoints import size_param
from sekisho.admin.query import MAX_PAGE_SIZE, list_options, parse_tags
from sekisho.admin.responses import kong_json
from sekisho.errors import ErrorCode, StoreError
from sekisho.store.base import Row

__all__ = ["TagEndpoints"]


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode()


def _decode(offset: str) -> int:
    try:
        position = int(base64.urlsafe_b64decode(offset.encode()).decode())
    except (binascii.Error, UnicodeError, ValueError):
        raise StoreError(ErrorCode.INVALID_OFFSET, f"'{offset}' is not a valid offset: bad base64 encoding") from None
    if position < 0:
        raise StoreError(ErrorCode.INVALID_OFFSET, f"'{offset}' is not a valid offset: bad base64 encoding")
    return position


class TagEndpoints:
    def __init__(self, ctx: AdminContext) -> None:
        self.ctx = ctx

    async def _tagged(self, entity: str, tag: str | None) -> list[Row]:
        """Every row of `entity`, or only those carrying `tag` (filtered by the store's tag index)."""
        if tag is None:
            return await self.ctx.db.all(entity)
        rows: list[Row] = []
        offset: str | None = None
        while True:
            page = await self.ctx.db.page(entity, size=MAX_PAGE_SIZE, offset=offset, tags=[tag])
            rows.extend(page.data)
            if page.offset is None:
                return rows
            offset = page.offset

    async def _rows(self, tag: str | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for schema in self.ctx.db.registry:
            if "tags" not in schema.fields:
                continue
            for row in await self._tagged(schema.name, tag):
                for each in row.get("tags") or ():
                    if tag is None or each == tag:
                        rows.append({"entity_name": schema.name, "entity_id": row["id"], "tag": each})
        rows.sort(key=lambda r: (r["tag"], r["entity_name"], r["entity_id"]))
        return rows

    async def _page(self, request: Request, tag: str | None, path: str) -> Response:
        opts = list_options(request.query_params, with_tags=False)
        start = _decode(opts.offset) if opts.offset is not None else 0
        rows = await self._rows(tag)
        data = rows[start : start + opts.size]
        body: dict[str, Any] = {"data": data, "next": None}
        if start + opts.size < len(rows):
            token = _encode(start + opts.size)
            body["offset"] = token
            body["next"] = f"{path}?offset={quote(token, safe='')}{size_param(opts.raw_size)}"
        return kong_json(body)

    async def all_tags(self, request: Request) -> Response:
        return await self._page(request, None, "/tags")

    async def by_tag(self, request: Request) -> Response:
        tag = request.path_params["tags"]
        tags, _ = parse_tags(tag)
        if len(tags) != 1 or tags[0] != tag:
            raise StoreError(
                ErrorCode.INVALID_OPTIONS,
                "invalid option (tags: invalid filter syntax)",
                {"tags": "invalid filter syntax"},
            )
        return await self._page(request, tag, f"/tags/{quote(tag, safe='')}")
