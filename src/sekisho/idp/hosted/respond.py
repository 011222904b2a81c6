"""Ending an authorization: a code (or implicit tokens) redirected to the client, or an error."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response

from sekisho.idp.checks.authorization import AuthorizationRequest
from sekisho.idp.checks.errors import ErrorPage, RedirectError
from sekisho.idp.models import User
from sekisho.idp.oauth2.context import DomainContext
from sekisho.idp.services import Services
from sekisho.idp.store import Put
from sekisho.idp.tokens import TokenRequest, issue_tokens

__all__ = ["CODE_SECONDS", "error_redirect", "finish_authorization", "redirect", "with_query"]

CODE_SECONDS = 300


def redirect(url: str) -> Response:
    response = RedirectResponse(url, status_code=302)
    response.headers["cache-control"] = "no-store"
    return response


def with_query(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def error_redirect(ctx: DomainContext, exc: ErrorPage | RedirectError) -> Response:
    if isinstance(exc, ErrorPage):
        params = {"error": exc.error}
        if exc.client_id:
            params["client_id"] = exc.client_id
        return redirect(with_query(ctx.url("/error"), params))
    assert exc.redirect_uri is not None
    params = {"error": exc.error}
    if exc.description:
        params["error_description"] = exc.description
    if exc.state is not None:
        params["state"] = exc.state
    if exc.fragment:
        return redirect(f"{exc.redirect_uri}#{urlencode(params)}")
    return redirect(with_query(exc.redirect_uri, params))


async def finish_authorization(
    svc: Services, authz: AuthorizationRequest, user: User, auth_time: int, response: Response | None = None
) -> Response:
    """Redirect to the client with a single-use 5-minute code, or with implicit tokens in the fragment."""
    state = {"state": authz.state} if authz.state is not None else {}
    if authz.response_type == "code":
        code = str(uuid.uuid4())
        record = {
            "pool_id": authz.pool["Id"],
            "client_id": authz.client["ClientId"],
            "redirect_uri": authz.redirect_uri,
            "user_key": user["_key"],
            "scopes": authz.scopes,
            "nonce": authz.nonce,
            "code_challenge": authz.code_challenge,
            "auth_time": auth_time,
            "expires_at": svc.clock.now() + CODE_SECONDS,
        }
        await svc.store.apply([Put("authorization_code", "", code, record)])
        target = redirect(with_query(authz.redirect_uri, {"code": code, **state}))
    else:
        tokens = await issue_tokens(
            svc,
            TokenRequest(
                authz.pool,
                authz.client,
                user,
                authz.scopes,
                auth_time,
                from_authorization_server=True,
                nonce=authz.nonce,
                with_refresh_token=False,
            ),
        )
        fragment = {}
        if tokens.id_token:
            fragment["id_token"] = tokens.id_token
        fragment |= {
            "access_token": tokens.access_token,
            "expires_in": str(tokens.expires_in),
            "token_type": "Bearer",
            **state,
        }
        target = redirect(f"{authz.redirect_uri}#{urlencode(fragment)}")
    if response is not None:
        for name, value in response.raw_headers:
            if name == b"set-cookie":
                target.raw_headers.append((name, value))
    return target
