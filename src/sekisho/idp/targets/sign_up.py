"""SignUp: a new UNCONFIRMED user; a code goes to the outbox when email is auto-verified."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.passwords import check_policy, hash_password
from sekisho.idp.services import Services
from sekisho.idp.targets._common import (
    Request,
    attribute_list,
    check_secret_hash,
    client_for,
    issue_code,
    optional_str,
    require_str,
)
from sekisho.idp.targets._users import check_attributes, new_user


async def sign_up(svc: Services, req: Request) -> dict[str, Any]:
    pool, client = await client_for(svc, req)
    username = require_str(req, "Username", max_length=128)
    password = require_str(req, "Password", max_length=256)
    check_secret_hash(client, username, optional_str(req, "SecretHash", max_length=128))
    if (pool.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        raise CognitoError.not_authorized("SignUp is not permitted for this user pool")
    attributes = attribute_list(req, "UserAttributes")
    if "email" in (pool.get("UsernameAttributes") or []):
        attributes.setdefault("email", username)
    check_attributes(pool, attributes, enforce_required=True, client=client)
    check_policy(password, pool["Policies"]["PasswordPolicy"])
    user = new_user(svc, pool, username, attributes, "UNCONFIRMED", hash_password(password))
    await svc.repo.create_user(pool, user)
    response: dict[str, Any] = {"UserConfirmed": False, "UserSub": user["Attributes"][0]["Value"]}
    if "email" in (pool.get("AutoVerifiedAttributes") or []) and any(a["Name"] == "email" for a in user["Attributes"]):
        response["CodeDeliveryDetails"] = await issue_code(svc, pool, user, "confirmation")
    return response
