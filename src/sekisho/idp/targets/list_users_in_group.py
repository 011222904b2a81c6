"""ListUsersInGroup."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, page, require_str
from sekisho.idp.targets._users import user_view


async def list_users_in_group(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    group = await svc.repo.group(pool["Id"], require_str(req, "GroupName", max_length=128))
    members = [user_view(u) for u in await svc.repo.users(pool["Id"]) if group["GroupName"] in (u.get("_groups") or [])]
    items, token = page(members, req.get("Limit"), req.get("NextToken"), maximum=60)
    return {"Users": items, **({"NextToken": token} if token else {})}
