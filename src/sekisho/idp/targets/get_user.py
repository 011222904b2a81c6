"""GetUser: the access token's own user (needs the aws.cognito.signin.user.admin scope)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets._auth import API_SCOPE
from sekisho.idp.targets._common import Request, require_str
from sekisho.idp.tokens import verify_access_token


async def get_user(svc: Services, req: Request) -> dict[str, Any]:
    _pool, claims = await verify_access_token(svc, require_str(req, "AccessToken", max_length=20000))
    if API_SCOPE not in str(claims.get("scope", "")).split():
        raise CognitoError.not_authorized("Access Token does not have required scopes")
    user = claims["_user"]
    return {"Username": user["Username"], "UserAttributes": user["Attributes"]}
