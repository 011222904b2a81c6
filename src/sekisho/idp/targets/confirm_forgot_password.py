"""ConfirmForgotPassword: reset code + new password."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Pool, User
from sekisho.idp.passwords import check_policy, hash_password
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, check_code, check_secret_hash, client_for, optional_str, require_str


async def confirm_forgot_password(svc: Services, req: Request) -> dict[str, Any]:
    pool, client = await client_for(svc, req)
    username = require_str(req, "Username", max_length=128)
    code = require_str(req, "ConfirmationCode", max_length=2048, pattern=r"[\S]+")
    password = require_str(req, "Password", max_length=256)
    user = await svc.repo.user(pool, username)
    if user is None:
        raise CognitoError.user_not_found("Username/client id combination not found.")
    check_secret_hash(client, username, optional_str(req, "SecretHash", max_length=128), user["Username"])
    await reset_with_code(svc, pool, user, code, password)
    return {}


async def reset_with_code(svc: Services, pool: Pool, user: User, code: str, password: str) -> None:
    await check_code(svc, pool, user, "reset", code)
    check_policy(password, pool["Policies"]["PasswordPolicy"])
    user["_password"] = hash_password(password)
    user.pop("_reset_code", None)
    if user["UserStatus"] in ("RESET_REQUIRED", "FORCE_CHANGE_PASSWORD"):
        user["UserStatus"] = "CONFIRMED"
    user["UserLastModifiedDate"] = round(svc.clock.now(), 3)
    await svc.repo.save_user(pool, user)
    svc.throttle.succeeded(pool["Id"], user["_key"])
