"""AdminResetUserPassword: RESET_REQUIRED and a reset code to the verified email."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str
from sekisho.idp.targets.forgot_password import send_reset_code


async def admin_reset_user_password(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    user = await svc.repo.require_user(pool, require_str(req, "Username", max_length=128))
    await send_reset_code(svc, pool, user)
    user = await svc.repo.require_user(pool, user["Username"])
    if user["UserStatus"] == "CONFIRMED":
        user["UserStatus"] = "RESET_REQUIRED"
        await svc.repo.save_user(pool, user)
    return {}
