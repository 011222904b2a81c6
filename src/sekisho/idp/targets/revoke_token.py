"""RevokeToken: a refresh token and every access token minted from it."""

from __future__ import annotations

import hmac
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Client, Pool
from sekisho.idp.services import Services
from sekisho.idp.store import Put
from sekisho.idp.targets._common import Request, client_for, optional_str, require_str
from sekisho.idp.tokens import refresh_token_record


async def revoke_token(svc: Services, req: Request) -> dict[str, Any]:
    token = require_str(req, "Token", max_length=20000)
    pool, client = await client_for(svc, req)
    secret = optional_str(req, "ClientSecret", max_length=64)
    if client.get("ClientSecret") and not hmac.compare_digest(client["ClientSecret"], secret or ""):
        raise CognitoError.not_authorized(
            f"Client {client['ClientId']} is configured for secret but secret was not received"
            if not secret
            else "Unable to verify secret for client"
        )
    if not client.get("EnableTokenRevocation", True):
        raise CognitoError("UnsupportedOperationException", "Token revocation is not enabled for this client")
    if token.count(".") == 2:
        raise CognitoError("UnsupportedTokenTypeException", "Only refresh tokens can be revoked")
    await revoke_refresh_token(svc, pool, client, token)
    return {}


async def revoke_refresh_token(svc: Services, pool: Pool, client: Client, token: str) -> bool:
    """Revoke if the token is live and belongs to the client; unknown tokens are not an error (Cognito)."""
    record = await refresh_token_record(svc, pool, token)
    if record is None:
        return False
    if record["client_id"] != client["ClientId"]:
        raise CognitoError("UnauthorizedException", "Refresh token was not issued to this client")
    ops = [Put("refresh_token", pool["Id"], record["digest"], {**record, "revoked": True})]
    if record.get("origin_jti"):
        ops.append(Put("revoked_origin", pool["Id"], record["origin_jti"], {"at": svc.clock.now()}))
    await svc.store.apply(ops)
    return True
