"""ChangePassword (self-service, access token)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.passwords import check_policy, hash_password, verify_password
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str
from sekisho.idp.targets._self_service import token_user


async def change_password(svc: Services, req: Request) -> dict[str, Any]:
    pool, user, _claims = await token_user(svc, req)
    previous = require_str(req, "PreviousPassword", max_length=256)
    proposed = require_str(req, "ProposedPassword", max_length=256)
    if svc.throttle.blocked(pool["Id"], user["_key"]):
        raise CognitoError("LimitExceededException", "Attempt limit exceeded, please try after some time.")
    if not verify_password(user.get("_password"), previous):
        svc.throttle.failed(pool["Id"], user["_key"])
        raise CognitoError.not_authorized()
    check_policy(proposed, pool["Policies"]["PasswordPolicy"])
    user["_password"] = hash_password(proposed)
    user["UserLastModifiedDate"] = round(svc.clock.now(), 3)
    await svc.repo.save_user(pool, user)
    return {}
