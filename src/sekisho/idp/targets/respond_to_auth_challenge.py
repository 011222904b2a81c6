"""RespondToAuthChallenge (and AdminRespondToAuthChallenge): NEW_PASSWORD_REQUIRED."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Client, Pool, set_attributes
from sekisho.idp.passwords import check_policy, hash_password
from sekisho.idp.services import Services
from sekisho.idp.targets._auth import api_tokens
from sekisho.idp.targets._common import (
    Request,
    attribute_list,
    check_secret_hash,
    client_for,
    optional_map,
    require_str,
)
from sekisho.idp.targets._users import check_attributes


async def respond_to_auth_challenge(svc: Services, req: Request) -> dict[str, Any]:
    pool, client = await client_for(svc, req)
    return await _respond(svc, pool, client, req)


async def admin_respond_to_auth_challenge(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    client = await svc.repo.client(pool["Id"], require_str(req, "ClientId", max_length=128))
    return await _respond(svc, pool, client, req)


async def _respond(svc: Services, pool: Pool, client: Client, req: Request) -> dict[str, Any]:
    challenge = require_str(req, "ChallengeName", max_length=64)
    if challenge != "NEW_PASSWORD_REQUIRED":
        raise CognitoError.invalid_parameter(f"{challenge} is not supported by sekisho idp")
    session_id = require_str(req, "Session", max_length=2048)
    responses = optional_map(req, "ChallengeResponses") or {}
    expired = CognitoError.not_authorized("Invalid session for the user, session is expired.")
    session = await svc.store.get("auth_session", pool["Id"], session_id)
    if session is None or session["expires_at"] <= svc.clock.now() or session["client_id"] != client["ClientId"]:
        raise expired
    user = await svc.store.get("user", pool["Id"], session["user_key"])
    if user is None or user["UserStatus"] != "FORCE_CHANGE_PASSWORD":
        raise expired
    username = responses.get("USERNAME")
    if not isinstance(username, str) or not username:
        raise CognitoError.invalid_parameter("Missing required parameter USERNAME")
    check_secret_hash(client, username, responses.get("SECRET_HASH"), user["Username"])
    password = responses.get("NEW_PASSWORD")
    if not isinstance(password, str) or not password:
        raise CognitoError.invalid_parameter("Missing required parameter NEW_PASSWORD")
    check_policy(password, pool["Policies"]["PasswordPolicy"])
    extra = {k.removeprefix("userAttributes."): v for k, v in responses.items() if k.startswith("userAttributes.")}
    if extra:
        attrs = attribute_list({"A": [{"Name": k, "Value": v} for k, v in extra.items()]}, "A")
        check_attributes(pool, attrs, enforce_required=False, client=client)
        set_attributes(user, attrs)
    user["_password"] = hash_password(password)
    user["UserStatus"] = "CONFIRMED"
    user.pop("_temporary_password_expires_at", None)
    user["UserLastModifiedDate"] = round(svc.clock.now(), 3)
    await svc.repo.save_user(pool, user)
    await svc.store.take("auth_session", pool["Id"], session_id)
    return await api_tokens(svc, pool, client, user)
