"""InitiateAuth: USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH (SRP and custom auth are not emulated)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets._auth import explicit_flows, password_sign_in, refresh_sign_in
from sekisho.idp.targets._common import Request, client_for, require_str

_KNOWN = ("USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH", "USER_PASSWORD_AUTH", "USER_AUTH")


async def initiate_auth(svc: Services, req: Request) -> dict[str, Any]:
    flow = require_str(req, "AuthFlow", max_length=64)
    pool, client = await client_for(svc, req)
    if flow not in _KNOWN:
        raise CognitoError.invalid_parameter(
            f"1 validation error detected: Value '{flow}' at 'authFlow' failed to satisfy constraint: "
            "Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, "
            "CUSTOM_AUTH, USER_PASSWORD_AUTH, USER_AUTH]"
        )
    params = req.get("AuthParameters") or {}
    if not isinstance(params, dict):
        raise CognitoError("SerializationException", "AuthParameters must be a map")
    allowed = explicit_flows(client)
    if flow == "USER_PASSWORD_AUTH":
        if "ALLOW_USER_PASSWORD_AUTH" not in allowed and "USER_PASSWORD_AUTH" not in allowed:
            raise CognitoError.invalid_parameter("USER_PASSWORD_AUTH flow not enabled for this client")
        return await password_sign_in(svc, pool, client, params)
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return await refresh_sign_in(svc, pool, client, params)
    raise CognitoError.invalid_parameter(f"{flow} is not supported by sekisho idp")
