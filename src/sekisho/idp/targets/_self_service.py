"""The user self-service actions authenticate with an access token carrying aws.cognito.signin.user.admin."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Pool, User
from sekisho.idp.services import Services
from sekisho.idp.targets._auth import API_SCOPE
from sekisho.idp.targets._common import Request, require_str
from sekisho.idp.tokens import verify_access_token

__all__ = ["token_user"]


async def token_user(svc: Services, req: Request) -> tuple[Pool, User, dict[str, Any]]:
    pool, claims = await verify_access_token(svc, require_str(req, "AccessToken", max_length=20000))
    if API_SCOPE not in str(claims.get("scope", "")).split():
        raise CognitoError.not_authorized("Access Token does not have required scopes")
    return pool, claims.pop("_user"), claims
