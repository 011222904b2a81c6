"""GetTokensFromRefreshToken: refresh, rotating the refresh token when the client enables rotation."""

from __future__ import annotations

import hmac
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, client_for, optional_str, require_str
from sekisho.idp.targets._users import tokens_result
from sekisho.idp.tokens import refresh_token_record, refresh_tokens


async def get_tokens_from_refresh_token(svc: Services, req: Request) -> dict[str, Any]:
    token = require_str(req, "RefreshToken", max_length=20000)
    pool, client = await client_for(svc, req)
    secret = optional_str(req, "ClientSecret", max_length=64)
    if client.get("ClientSecret") and not hmac.compare_digest(client["ClientSecret"], secret or ""):
        raise CognitoError.not_authorized("Invalid client secret")
    record = await refresh_token_record(svc, pool, token)
    if record is None or record["client_id"] != client["ClientId"]:
        raise CognitoError.not_authorized("Invalid Refresh Token")
    user = await svc.store.get("user", pool["Id"], record["user_key"])
    if user is None or not user.get("Enabled", True):
        raise CognitoError.not_authorized("User is disabled.")
    result = tokens_result(await refresh_tokens(svc, pool, client, user, record))
    return {"AuthenticationResult": result["AuthenticationResult"]}
