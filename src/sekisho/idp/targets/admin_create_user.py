"""AdminCreateUser: FORCE_CHANGE_PASSWORD with a temporary password (invitation to the outbox)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.ids import new_temporary_password
from sekisho.idp.models import attribute_map
from sekisho.idp.passwords import check_policy, hash_password
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, attribute_list, optional_str, require_str
from sekisho.idp.targets._users import check_attributes, new_user, user_view


async def admin_create_user(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    username = require_str(req, "Username", max_length=128)
    attributes = attribute_list(req, "UserAttributes")
    check_attributes(pool, attributes, enforce_required=False, client=None)
    action = req.get("MessageAction")
    if action not in (None, "RESEND", "SUPPRESS"):
        raise CognitoError.invalid_parameter(f"Invalid MessageAction {action}")
    if action == "RESEND":
        return await _resend(svc, pool, username)
    temporary = optional_str(req, "TemporaryPassword", max_length=256)
    if temporary is not None:
        check_policy(temporary, pool["Policies"]["PasswordPolicy"])
    else:
        temporary = new_temporary_password()
    user = new_user(svc, pool, username, attributes, "FORCE_CHANGE_PASSWORD", hash_password(temporary))
    days = pool["Policies"]["PasswordPolicy"].get("TemporaryPasswordValidityDays") or 7
    user["_temporary_password_expires_at"] = svc.clock.now() + int(days) * 86400
    await svc.repo.create_user(pool, user)
    email = attribute_map(user).get("email")
    if action != "SUPPRESS" and email:
        await svc.outbox.send(
            pool_id=pool["Id"],
            to=email,
            subject="Your temporary password",
            body=f"Your username is {username} and temporary password is {temporary}. ",
            secret=True,
        )
    return {"User": user_view(user)}


async def _resend(svc: Services, pool: dict[str, Any], username: str) -> dict[str, Any]:
    user = await svc.repo.require_user(pool, username)
    if user["UserStatus"] != "FORCE_CHANGE_PASSWORD":
        raise CognitoError.invalid_parameter("User is already confirmed.")
    temporary = new_temporary_password()
    user["_password"] = hash_password(temporary)
    await svc.repo.save_user(pool, user)
    email = attribute_map(user).get("email")
    if email:
        await svc.outbox.send(
            pool_id=pool["Id"],
            to=email,
            subject="Your temporary password",
            body=f"Your username is {username} and temporary password is {temporary}. ",
            secret=True,
        )
    return {"User": user_view(user)}
