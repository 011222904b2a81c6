"""ForgotPassword: a reset code to the user's verified email."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Pool, User, attribute_map
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, check_secret_hash, client_for, issue_code, optional_str, require_str


async def forgot_password(svc: Services, req: Request) -> dict[str, Any]:
    pool, client = await client_for(svc, req)
    username = require_str(req, "Username", max_length=128)
    user = await svc.repo.user(pool, username)
    if user is None:
        if client.get("PreventUserExistenceErrors") == "ENABLED":
            return {"CodeDeliveryDetails": {"Destination": "", "DeliveryMedium": "EMAIL", "AttributeName": "email"}}
        raise CognitoError.user_not_found("Username/client id combination not found.")
    check_secret_hash(client, username, optional_str(req, "SecretHash", max_length=128), user["Username"])
    return {"CodeDeliveryDetails": await send_reset_code(svc, pool, user)}


async def send_reset_code(svc: Services, pool: Pool, user: User) -> dict[str, str]:
    if not user.get("Enabled", True):
        raise CognitoError.not_authorized("User is disabled.")
    attrs = attribute_map(user)
    if not attrs.get("email") or attrs.get("email_verified") != "true":
        raise CognitoError.invalid_parameter(
            "Cannot reset password for the user as there is no registered/verified email or phone_number"
        )
    return await issue_code(svc, pool, user, "reset")
