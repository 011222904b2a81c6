"""`GET /oauth2/authorize`: validate, then sign in silently from the hosted session or go to /login."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.hosted.pages import begin
from sekisho.idp.hosted.respond import finish_authorization, redirect, with_query
from sekisho.idp.hosted.session import current_session
from sekisho.idp.services import Services

__all__ = ["authorize"]


async def authorize(svc: Services, request: Request) -> Response:
    state = await begin(svc, request)
    if isinstance(state, Response):
        return state
    session = await current_session(svc, state.ctx, request)
    if session is not None:
        user, auth_time = session
        return await finish_authorization(svc, state.authz, user, auth_time)
    return redirect(with_query(state.ctx.url("/login"), state.authz.params))
