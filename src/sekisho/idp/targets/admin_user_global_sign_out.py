"""AdminUserGlobalSignOut."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str
from sekisho.idp.targets.global_sign_out import sign_out_everywhere


async def admin_user_global_sign_out(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    user = await svc.repo.require_user(pool, require_str(req, "Username", max_length=128))
    await sign_out_everywhere(svc, pool, user)
    return {}
