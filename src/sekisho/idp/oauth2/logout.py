"""`GET /logout`: Cognito's own sign-out, in its two modes (sign-out URL, or sign in again).

Not OIDC RP-initiated logout: `post_logout_redirect_uri` and `id_token_hint` mean nothing here, and
a request without a registered `logout_uri` falls through to the re-login mode, which then fails with
Cognito's "Required String parameter 'redirect_uri' is not present".
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sekisho.idp.hosted.render import render
from sekisho.idp.hosted.respond import redirect, with_query
from sekisho.idp.hosted.session import clear_session
from sekisho.idp.oauth2.context import domain_context
from sekisho.idp.services import Services

__all__ = ["logout"]

_RELOGIN_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


def _failure(request: Request, message: str) -> Response:
    return render(request, "error.html", {"error": message}, status=400)


async def logout(svc: Services, request: Request) -> Response:
    ctx = await domain_context(svc, request)
    if ctx is None:
        return HTMLResponse("Not Found", status_code=404)
    params = request.query_params
    client_id = params.get("client_id")
    if not client_id:
        return _failure(request, "Required String parameter 'client_id' is not present")
    client = await svc.store.get("client", ctx.pool["Id"], client_id)
    if client is None:
        return _failure(request, "invalid_request")
    logout_uri = params.get("logout_uri")
    if logout_uri and logout_uri in (client.get("LogoutURLs") or []):
        response = redirect(logout_uri)
        await clear_session(svc, ctx, request, response)
        return response
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        return _failure(request, "Required String parameter 'redirect_uri' is not present")
    if redirect_uri not in (client.get("CallbackURLs") or []):
        return redirect(with_query(ctx.url("/error"), {"error": "redirect_mismatch", "client_id": client_id}))
    kept = {k: params[k] for k in _RELOGIN_PARAMS if params.get(k) is not None}
    response = redirect(with_query(ctx.url("/login"), kept))
    await clear_session(svc, ctx, request, response)
    return response
