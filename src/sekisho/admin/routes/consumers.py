"""`GET /consumers?custom_id=...` finds one consumer by `custom_id` (kong/api/routes/consumers.lua)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.endpoints import Handler
from sekisho.admin.responses import kong_json
from sekisho.store.base import Database

__all__ = ["consumers_list"]


def consumers_list(db: Database, generic: Handler) -> Handler:
    async def handler(request: Request) -> Response:
        custom_id = request.query_params.get("custom_id")
        if custom_id is None:
            return await generic(request)
        consumer = await db.select_by("consumers", "custom_id", custom_id)
        return kong_json({"data": [consumer] if consumer is not None else [], "next": None})

    return handler
