"""UpdateUserPoolClient (omitted settings go back to their defaults, as Cognito does)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._client_settings import client_settings
from sekisho.idp.targets._common import Request, require_str, timestamp

_KEPT = ("UserPoolId", "ClientId", "ClientSecret", "ClientName", "CreationDate")


async def update_user_pool_client(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    current = await svc.repo.client(pool["Id"], require_str(req, "ClientId", max_length=128))
    settings = await client_settings(svc, pool, req, has_secret=bool(current.get("ClientSecret")))
    client = {k: current[k] for k in _KEPT if k in current} | settings | {"LastModifiedDate": timestamp(svc)}
    await svc.store.apply(svc.repo.client_ops(client))
    return {"UserPoolClient": client}
