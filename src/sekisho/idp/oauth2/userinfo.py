"""`GET|POST /oauth2/userInfo`: attributes for an openid-scoped access token of the authorization server."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sekisho.idp.errors import CognitoError
from sekisho.idp.oauth2.context import domain_context
from sekisho.idp.services import Services
from sekisho.idp.tokens import attribute_claims, verify_access_token

__all__ = ["userinfo"]

_EXPIRED = "Access token is expired, disabled, or deleted, or the user has globally signed out."


def _challenge(status: int, error: str, description: str) -> Response:
    header = f'Bearer error="{error}", error_description="{description}"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers={"www-authenticate": header}
    )


async def userinfo(svc: Services, request: Request) -> Response:
    ctx = await domain_context(svc, request)
    if ctx is None:
        return JSONResponse({"error": "invalid_request"}, status_code=404)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 20000:
        return _challenge(400, "invalid_request", "Bad OAuth2 request at UserInfo Endpoint")
    try:
        pool, claims = await verify_access_token(svc, token.strip())
    except CognitoError:
        return _challenge(401, "invalid_token", _EXPIRED)
    scopes = str(claims.get("scope", "")).split()
    if pool["Id"] != ctx.pool["Id"]:
        return _challenge(401, "invalid_token", _EXPIRED)
    if "openid" not in scopes:
        return _challenge(401, "invalid_token", "Access token does not contain openid scope")
    client = await svc.store.get("client", pool["Id"], str(claims.get("client_id")))
    if client is None:
        return _challenge(401, "invalid_token", _EXPIRED)
    user = claims["_user"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    body = {"sub": sub, **attribute_claims(client, user, scopes, as_strings=True), "username": user["Username"]}
    return JSONResponse(body, media_type="application/json;charset=UTF-8")
