"""AdminConfirmSignUp (no code; email_verified is left as it was, as Cognito)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str


async def admin_confirm_sign_up(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    user = await svc.repo.require_user(pool, require_str(req, "Username", max_length=128))
    if user["UserStatus"] != "UNCONFIRMED":
        raise CognitoError.not_authorized(f"User cannot be confirmed. Current status is {user['UserStatus']}")
    user["UserStatus"] = "CONFIRMED"
    user.pop("_confirmation_code", None)
    user["UserLastModifiedDate"] = round(svc.clock.now(), 3)
    await svc.repo.save_user(pool, user)
    return {}
