"""A certificate can be addressed by one of its SNIs: `/certificates/example.com` (kong/api/routes/certificates.lua).

`PUT /certificates/{name}` replaces the certificate serving that name, or creates one; without a `snis`
field in the body the certificate then serves exactly that name."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.endpoints import EntityEndpoints, Handler
from sekisho.admin.errors import not_found
from sekisho.admin.responses import kong_json
from sekisho.admin.writes import is_uuid

__all__ = ["by_sni"]

PARAM = "certificates"


def by_sni(entities: EntityEndpoints, handlers: Mapping[str, Handler]) -> dict[str, Handler]:
    """Wrap generated certificate handlers so that `{certificates}` may also be an SNI name."""
    wrapped = {method: _resolving(entities, handler) for method, handler in handlers.items() if method != "PUT"}
    if "PUT" in handlers:
        wrapped["PUT"] = _put(entities, handlers["PUT"])
    return wrapped


async def _certificate_id(entities: EntityEndpoints, name: str) -> str | None:
    sni = await entities.db.select("snis", name)
    return None if sni is None else str(sni["certificate"]["id"])


def _with_id(request: Request, ident: str) -> None:
    request.scope["path_params"] = {**request.path_params, PARAM: ident}


def _resolving(entities: EntityEndpoints, handler: Handler) -> Handler:
    async def resolved(request: Request) -> Response:
        ident = request.path_params[PARAM]
        if not is_uuid(ident):
            found = await _certificate_id(entities, ident)
            if found is None:
                raise not_found("SNI not found")
            _with_id(request, found)
        return await handler(request)

    return resolved


def _put(entities: EntityEndpoints, handler: Handler) -> Handler:
    async def put(request: Request) -> Response:
        name = request.path_params[PARAM]
        if is_uuid(name):
            return await handler(request)
        schema = entities.db.registry["certificates"]
        ident = await _certificate_id(entities, name) or str(uuid.uuid4())
        data = await entities.entity_data(request, schema)
        if data.get("snis") is None:
            data["snis"] = [name]
        return kong_json(await entities.writer.upsert(schema, ident, data))

    return put
