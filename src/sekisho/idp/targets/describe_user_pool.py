"""DescribeUserPool."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str


async def describe_user_pool(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    pool = dict(pool)
    pool["EstimatedNumberOfUsers"] = len(await svc.repo.users(pool["Id"]))
    return {"UserPool": pool}
