"""DescribeUserPoolClient."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str


async def describe_user_pool_client(svc: Services, req: Request) -> dict[str, Any]:
    pool_id = require_str(req, "UserPoolId", max_length=55)
    await svc.repo.pool(pool_id)
    return {"UserPoolClient": await svc.repo.client(pool_id, require_str(req, "ClientId", max_length=128))}
