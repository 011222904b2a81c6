"""ResendConfirmationCode."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, check_secret_hash, client_for, issue_code, optional_str, require_str


async def resend_confirmation_code(svc: Services, req: Request) -> dict[str, Any]:
    pool, client = await client_for(svc, req)
    username = require_str(req, "Username", max_length=128)
    user = await svc.repo.user(pool, username)
    if user is None:
        raise CognitoError.user_not_found("Username/client id combination not found.")
    check_secret_hash(client, username, optional_str(req, "SecretHash", max_length=128), user["Username"])
    if user["UserStatus"] != "UNCONFIRMED":
        raise CognitoError.invalid_parameter("User is already confirmed.")
    return {"CodeDeliveryDetails": await issue_code(svc, pool, user, "confirmation")}
