"""AdminAddUserToGroup."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str


async def admin_add_user_to_group(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    user = await svc.repo.require_user(pool, require_str(req, "Username", max_length=128))
    group = await svc.repo.group(pool["Id"], require_str(req, "GroupName", max_length=128))
    groups = list(user.get("_groups") or [])
    if group["GroupName"] not in groups:
        groups.append(group["GroupName"])
        user["_groups"] = groups
        await svc.repo.save_user(pool, user)
    return {}
