"""AdminInitiateAuth: ADMIN_USER_PASSWORD_AUTH (ADMIN_NO_SRP_AUTH) and REFRESH_TOKEN_AUTH."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets._auth import explicit_flows, password_sign_in, refresh_sign_in
from sekisho.idp.targets._common import Request, require_str


async def admin_initiate_auth(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    client = await svc.repo.client(pool["Id"], require_str(req, "ClientId", max_length=128))
    flow = require_str(req, "AuthFlow", max_length=64)
    params = req.get("AuthParameters") or {}
    if not isinstance(params, dict):
        raise CognitoError("SerializationException", "AuthParameters must be a map")
    allowed = explicit_flows(client)
    if flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        if "ALLOW_ADMIN_USER_PASSWORD_AUTH" not in allowed and "ADMIN_NO_SRP_AUTH" not in allowed:
            raise CognitoError.invalid_parameter("Auth flow not enabled for this client")
        return await password_sign_in(svc, pool, client, params)
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return await refresh_sign_in(svc, pool, client, params)
    raise CognitoError.invalid_parameter(f"{flow} is not supported by sekisho idp")
