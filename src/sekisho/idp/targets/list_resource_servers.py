"""ListResourceServers."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, page, require_str


async def list_resource_servers(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    items, token = page(
        await svc.repo.resource_servers(pool["Id"]), req.get("MaxResults"), req.get("NextToken"), maximum=50
    )
    return {"ResourceServers": items, **({"NextToken": token} if token else {})}
