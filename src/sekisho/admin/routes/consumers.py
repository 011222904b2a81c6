"""`GET /consumers`: only proxy consumers (Kong EE's `type` 0; developers and admins are listed elsewhere),
and `?custom_id=...` finds one consumer by `custom_id` (kong/api/routes/consumers.lua)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.endpoints import EntityEndpoints, Handler
from sekisho.admin.responses import kong_json

__all__ = ["PROXY_CONSUMER", "consumers_list"]

PROXY_CONSUMER = 0


def consumers_list(entities: EntityEndpoints) -> Handler:
    schema = entities.db.registry["consumers"]
    generic = entities.list_all(schema, where={"type": PROXY_CONSUMER} if "type" in schema.fields else None)

    async def handler(request: Request) -> Response:
        custom_id = request.query_params.get("custom_id")
        if custom_id is None:
            return await generic(request)
        consumer = await entities.db.select_by("consumers", "custom_id", custom_id)
        return kong_json({"data": [consumer] if consumer is not None else [], "next": None})

    return handler
