"""DeleteUserPoolClient."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.store import Delete
from sekisho.idp.targets._common import Request, require_str


async def delete_user_pool_client(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    client = await svc.repo.client(pool["Id"], require_str(req, "ClientId", max_length=128))
    await svc.store.apply(
        [Delete("client", pool["Id"], client["ClientId"]), Delete("client_index", "", client["ClientId"])]
    )
    return {}
