"""`POST /oauth2/revoke`: a refresh token and the access tokens minted from it; 200 for unknown tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sekisho.idp.errors import CognitoError, OAuth2Error
from sekisho.idp.oauth2.client_auth import authenticate_client, read_urlencoded
from sekisho.idp.oauth2.context import domain_context
from sekisho.idp.oauth2.token import oauth_error_response
from sekisho.idp.services import Services
from sekisho.idp.targets.revoke_token import revoke_refresh_token

__all__ = ["revoke"]


async def revoke(svc: Services, request: Request) -> Response:
    ctx = await domain_context(svc, request)
    if ctx is None:
        return JSONResponse({"error": "invalid_request"}, status_code=404)
    try:
        form = await read_urlencoded(request)
        token = form.get("token")
        if not token:
            raise OAuth2Error("invalid_request")
        client = await authenticate_client(svc, ctx.pool, request, form, status=401)
        if client.get("ClientSecret") and not request.headers.get("authorization"):
            raise OAuth2Error("invalid_client", status=401)
        if not client.get("EnableTokenRevocation", True):
            raise OAuth2Error("invalid_request")
        if token.count(".") == 2:
            raise OAuth2Error("unsupported_token_type")
        try:
            await revoke_refresh_token(svc, ctx.pool, client, token)
        except CognitoError:
            raise OAuth2Error("invalid_request") from None
    except OAuth2Error as exc:
        return oauth_error_response(exc)
    return Response(status_code=200, headers={"cache-control": "no-store"})
