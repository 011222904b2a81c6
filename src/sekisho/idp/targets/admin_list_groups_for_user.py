"""AdminListGroupsForUser."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, page, require_str


async def admin_list_groups_for_user(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    user = await svc.repo.require_user(pool, require_str(req, "Username", max_length=128))
    groups = []
    for name in sorted(user.get("_groups") or []):
        group = await svc.store.get("group", pool["Id"], name)
        if group is not None:
            groups.append(group)
    items, token = page(groups, req.get("Limit"), req.get("NextToken"), maximum=60)
    return {"Groups": items, **({"NextToken": token} if token else {})}
