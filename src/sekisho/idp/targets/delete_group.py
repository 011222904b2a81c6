"""DeleteGroup: the group and its memberships."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.store import Delete, Op, Put
from sekisho.idp.targets._common import Request, require_str


async def delete_group(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    group = await svc.repo.group(pool["Id"], require_str(req, "GroupName", max_length=128))
    name = group["GroupName"]
    ops: list[Op] = [Delete("group", pool["Id"], name)]
    for user in await svc.repo.users(pool["Id"]):
        if name in (user.get("_groups") or []):
            user["_groups"] = [g for g in user["_groups"] if g != name]
            ops.append(Put("user", pool["Id"], user["_key"], user))
    await svc.store.apply(ops)
    return {}
