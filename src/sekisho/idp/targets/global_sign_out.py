"""GlobalSignOut: every refresh token of the user is revoked, and access tokens minted from them."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Pool, User
from sekisho.idp.services import Services
from sekisho.idp.store import Op, Put
from sekisho.idp.targets._auth import API_SCOPE
from sekisho.idp.targets._common import Request, require_str
from sekisho.idp.tokens import verify_access_token


async def global_sign_out(svc: Services, req: Request) -> dict[str, Any]:
    pool, claims = await verify_access_token(svc, require_str(req, "AccessToken", max_length=20000))
    if API_SCOPE not in str(claims.get("scope", "")).split():
        raise CognitoError.not_authorized("Access Token does not have required scopes")
    await sign_out_everywhere(svc, pool, claims["_user"])
    return {}


async def sign_out_everywhere(svc: Services, pool: Pool, user: User) -> None:
    ops: list[Op] = []
    for record_key, record in await _refresh_tokens_of(svc, pool, user):
        ops.append(Put("refresh_token", pool["Id"], record_key, {**record, "revoked": True}))
        if record.get("origin_jti"):
            ops.append(Put("revoked_origin", pool["Id"], record["origin_jti"], {"at": svc.clock.now()}))
    # Covers clients without token revocation (no origin_jti): tokens issued before this second stop working.
    user["_tokens_valid_after"] = int(svc.clock.now())
    ops.append(Put("user", pool["Id"], user["_key"], user))
    await svc.store.apply(ops)


async def _refresh_tokens_of(svc: Services, pool: Pool, user: User) -> list[tuple[str, dict[str, Any]]]:
    records = await svc.store.list("refresh_token", pool["Id"])
    # list() drops keys; refresh records carry their own digest so they can be rewritten.
    return [(r["digest"], r) for r in records if r.get("user_key") == user["_key"] and not r.get("revoked")]
