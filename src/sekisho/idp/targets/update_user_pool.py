"""UpdateUserPool (omitted settings go back to their defaults, as Cognito does)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str, timestamp
from sekisho.idp.targets._pool_settings import updatable_settings


async def update_user_pool(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    pool.update(updatable_settings(req))
    pool["LastModifiedDate"] = timestamp(svc)
    await svc.repo.put_pool(pool)
    return {}
