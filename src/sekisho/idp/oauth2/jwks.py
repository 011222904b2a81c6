"""`/<pool_id>/.well-known/jwks.json`: the pool's ID and access keys, plus retired keys still in use."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sekisho.idp.services import Services

__all__ = ["jwks"]


async def jwks(svc: Services, request: Request) -> Response:
    pool_id = request.path_params["pool_id"]
    if await svc.store.get("pool", "", pool_id) is None:
        return JSONResponse({"message": f"User pool {pool_id} does not exist."}, status_code=404)
    return JSONResponse(await svc.keys.jwks(pool_id))
