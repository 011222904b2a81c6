"""The API sign-in flows shared by InitiateAuth and AdminInitiateAuth."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Client, Pool, User, attribute_map
from sekisho.idp.services import Services
from sekisho.idp.store import Put
from sekisho.idp.targets._common import check_secret_hash
from sekisho.idp.targets._users import authenticate, tokens_result
from sekisho.idp.tokens import TokenRequest, issue_tokens, refresh_token_record

__all__ = ["API_SCOPE", "explicit_flows", "password_sign_in", "refresh_sign_in"]

API_SCOPE = "aws.cognito.signin.user.admin"
_DEFAULT_EXPLICIT = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"]


def explicit_flows(client: Client) -> list[str]:
    return list(client.get("ExplicitAuthFlows") or _DEFAULT_EXPLICIT)


async def password_sign_in(svc: Services, pool: Pool, client: Client, params: dict[str, Any]) -> dict[str, Any]:
    username = params.get("USERNAME")
    password = params.get("PASSWORD")
    if not isinstance(username, str) or not username:
        raise CognitoError.invalid_parameter("Missing required parameter USERNAME")
    if not isinstance(password, str) or not password:
        raise CognitoError.invalid_parameter("Missing required parameter PASSWORD")
    if client.get("ClientSecret"):
        # The secret is checked before the password, so callers without it learn nothing about passwords.
        known = await svc.repo.user(pool, username)
        check_secret_hash(client, username, params.get("SECRET_HASH"), *([known["Username"]] if known else []))
    user = await authenticate(svc, pool, client, username, password)
    if user["UserStatus"] == "FORCE_CHANGE_PASSWORD":
        return await _new_password_challenge(svc, pool, client, user)
    return await api_tokens(svc, pool, client, user)


async def api_tokens(svc: Services, pool: Pool, client: Client, user: User) -> dict[str, Any]:
    now = int(svc.clock.now())
    request = TokenRequest(pool, client, user, [API_SCOPE], now, from_authorization_server=False)
    return tokens_result(await issue_tokens(svc, request))


async def refresh_sign_in(svc: Services, pool: Pool, client: Client, params: dict[str, Any]) -> dict[str, Any]:
    token = params.get("REFRESH_TOKEN") or params.get("REFRESH")
    if not isinstance(token, str) or not token:
        raise CognitoError.invalid_parameter("Missing required parameter REFRESH_TOKEN")
    record = await refresh_token_record(svc, pool, token)
    if record is None or record["client_id"] != client["ClientId"]:
        raise CognitoError.not_authorized("Invalid Refresh Token")
    user = await svc.store.get("user", pool["Id"], record["user_key"])
    if user is None:
        raise CognitoError.not_authorized("Invalid Refresh Token")
    if not user.get("Enabled", True):
        raise CognitoError.not_authorized("User is disabled.")
    if client.get("ClientSecret"):
        check_secret_hash(
            client, user["Username"], params.get("SECRET_HASH"), *str(params.get("USERNAME") or "").split()
        )
    request = TokenRequest(
        pool,
        client,
        user,
        record["scopes"],
        record["auth_time"],
        from_authorization_server=record["from_authorization_server"],
        origin_jti=record.get("origin_jti"),
        with_refresh_token=False,
    )
    return tokens_result(await issue_tokens(svc, request))


async def _new_password_challenge(svc: Services, pool: Pool, client: Client, user: User) -> dict[str, Any]:
    session = secrets.token_urlsafe(96)
    minutes = int(client.get("AuthSessionValidity") or 3)
    record = {"user_key": user["_key"], "client_id": client["ClientId"], "expires_at": svc.clock.now() + minutes * 60}
    await svc.store.apply([Put("auth_session", pool["Id"], session, record)])
    visible = {k: v for k, v in attribute_map(user).items() if k not in ("sub", "email_verified")}
    return {
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": session,
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": user["Username"],
            "requiredAttributes": "[]",
            "userAttributes": json.dumps(visible),
        },
    }
