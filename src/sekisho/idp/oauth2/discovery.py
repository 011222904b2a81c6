"""`/<pool_id>/.well-known/openid-configuration` with exactly Cognito's key set."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sekisho.idp.models import Pool
from sekisho.idp.services import Services

__all__ = ["discovery", "hosted_base_url"]


def hosted_base_url(svc: Services, pool: Pool) -> str | None:
    if pool.get("Domain"):
        return svc.settings.domain_url(pool["Domain"])
    if pool.get("CustomDomain"):
        return f"https://{pool['CustomDomain']}"
    return None


async def discovery(svc: Services, request: Request) -> Response:
    pool_id = request.path_params["pool_id"]
    pool = await svc.store.get("pool", "", pool_id)
    if pool is None:
        return JSONResponse({"message": f"User pool {pool_id} does not exist."}, status_code=404)
    issuer = svc.settings.issuer(pool_id)
    base = hosted_base_url(svc, pool)
    # Without a domain Cognito still serves the document, pointing at dead endpoints on the regional host.

    def endpoint(path: str) -> str:
        return f"{base}{path}" if base else f"{issuer}{path.replace('/oauth2', '')}"

    document: dict[str, Any] = {
        "authorization_endpoint": endpoint("/oauth2/authorize"),
        "end_session_endpoint": endpoint("/logout"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "revocation_endpoint": endpoint("/oauth2/revoke"),
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": endpoint("/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": endpoint("/oauth2/userInfo"),
    }
    if svc.settings.legacy_discovery:
        del document["end_session_endpoint"], document["revocation_endpoint"]
    return JSONResponse(document)
