"""`/confirm`: the emailed code confirms the account, which is then signed in and sent to the client."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.errors import CognitoError
from sekisho.idp.hosted.pages import FormTooLarge, begin, read_form, show
from sekisho.idp.hosted.respond import finish_authorization
from sekisho.idp.hosted.session import start_session
from sekisho.idp.services import Services
from sekisho.idp.targets._common import issue_code
from sekisho.idp.targets.confirm_sign_up import confirm_with_code

__all__ = ["confirm"]


async def confirm(svc: Services, request: Request) -> Response:
    state = await begin(svc, request)
    if isinstance(state, Response):
        return state
    username = request.query_params.get("username", "")
    if request.method == "GET":
        return show(state, "confirm.html", username=username)
    try:
        form = await read_form(request)
    except FormTooLarge:
        return show(state, "confirm.html", 413, username=username, error="Request too large.")
    if not form:
        return show(state, "confirm.html", 400, username=username, error="Your session expired. Please try again.")
    username = form.get("username", username).strip()
    pool = state.ctx.pool
    user = await svc.repo.user(pool, username)
    if user is None:
        return show(state, "confirm.html", 400, username=username, error="Username/client id combination not found.")
    if form.get("action") == "resend":
        if user["UserStatus"] != "UNCONFIRMED":
            return show(state, "confirm.html", 400, username=username, error="User is already confirmed.")
        await issue_code(svc, pool, user, "confirmation")
        return show(state, "confirm.html", username=username, info="We sent a new code to your email.")
    try:
        await confirm_with_code(svc, pool, user, form.get("code", "").strip())
    except CognitoError as exc:
        return show(state, "confirm.html", 400, username=username, error=exc.message)
    placeholder = Response()
    auth_time = await start_session(svc, state.ctx, user, placeholder)
    return await finish_authorization(svc, state.authz, user, auth_time, placeholder)
