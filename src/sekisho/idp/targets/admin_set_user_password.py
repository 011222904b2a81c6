"""AdminSetUserPassword: permanent (CONFIRMED) or temporary (FORCE_CHANGE_PASSWORD)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.passwords import check_policy, hash_password
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str


async def admin_set_user_password(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    user = await svc.repo.require_user(pool, require_str(req, "Username", max_length=128))
    password = require_str(req, "Password", max_length=256)
    check_policy(password, pool["Policies"]["PasswordPolicy"])
    user["_password"] = hash_password(password)
    if req.get("Permanent"):
        user["UserStatus"] = "CONFIRMED"
        user.pop("_temporary_password_expires_at", None)
    else:
        user["UserStatus"] = "FORCE_CHANGE_PASSWORD"
        days = pool["Policies"]["PasswordPolicy"].get("TemporaryPasswordValidityDays") or 7
        user["_temporary_password_expires_at"] = svc.clock.now() + int(days) * 86400
    user["UserLastModifiedDate"] = round(svc.clock.now(), 3)
    await svc.repo.save_user(pool, user)
    svc.throttle.succeeded(pool["Id"], user["_key"])
    return {}
