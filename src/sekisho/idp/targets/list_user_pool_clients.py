"""ListUserPoolClients."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, page, require_str


async def list_user_pool_clients(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    clients = [
        {"ClientId": c["ClientId"], "UserPoolId": c["UserPoolId"], "ClientName": c["ClientName"]}
        for c in await svc.repo.clients(pool["Id"])
    ]
    items, token = page(clients, req.get("MaxResults"), req.get("NextToken"), maximum=60)
    return {"UserPoolClients": items, **({"NextToken": token} if token else {})}
