"""ListGroups."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, page, require_str


async def list_groups(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    groups = await svc.store.list("group", pool["Id"])
    items, token = page(groups, req.get("Limit"), req.get("NextToken"), maximum=60)
    return {"Groups": items, **({"NextToken": token} if token else {})}
