"""ConfirmSignUp: UNCONFIRMED -> CONFIRMED with the emailed code; email_verified becomes true."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Pool, User, set_attributes
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, check_code, check_secret_hash, client_for, optional_str, require_str


async def confirm_sign_up(svc: Services, req: Request) -> dict[str, Any]:
    pool, client = await client_for(svc, req)
    username = require_str(req, "Username", max_length=128)
    code = require_str(req, "ConfirmationCode", max_length=2048, pattern=r"[\S]+")
    user = await svc.repo.user(pool, username)
    if user is None:
        raise CognitoError.user_not_found("Username/client id combination not found.")
    check_secret_hash(client, username, optional_str(req, "SecretHash", max_length=128), user["Username"])
    await confirm_with_code(svc, pool, user, code)
    return {}


async def confirm_with_code(svc: Services, pool: Pool, user: User, code: str) -> None:
    if user["UserStatus"] != "UNCONFIRMED":
        raise CognitoError.not_authorized(f"User cannot be confirmed. Current status is {user['UserStatus']}")
    await check_code(svc, pool, user, "confirmation", code)
    mark_confirmed(svc, user)
    await svc.repo.save_user(pool, user)


def mark_confirmed(svc: Services, user: User) -> None:
    user["UserStatus"] = "CONFIRMED"
    user.pop("_confirmation_code", None)
    if any(a["Name"] == "email" for a in user["Attributes"]):
        set_attributes(user, {"email_verified": "true"})
    user["UserLastModifiedDate"] = round(svc.clock.now(), 3)
