"""`/forgotPassword` (send a reset code) and `/confirmForgotPassword` (code + new password, back to /login)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.errors import CognitoError
from sekisho.idp.hosted.pages import FormTooLarge, begin, read_form, show
from sekisho.idp.hosted.respond import redirect
from sekisho.idp.services import Services
from sekisho.idp.targets.confirm_forgot_password import reset_with_code
from sekisho.idp.targets.forgot_password import send_reset_code

__all__ = ["confirm_forgot_password", "forgot_password"]


async def forgot_password(svc: Services, request: Request) -> Response:
    state = await begin(svc, request)
    if isinstance(state, Response):
        return state
    if request.method == "GET":
        return show(state, "forgot.html", username="")
    try:
        form = await read_form(request)
    except FormTooLarge:
        return show(state, "forgot.html", 413, username="", error="Request too large.")
    if not form:
        return show(state, "forgot.html", 400, username="", error="Your session expired. Please try again.")
    username = form.get("username", "").strip()
    user = await svc.repo.user(state.ctx.pool, username)
    if user is not None:
        try:
            await send_reset_code(svc, state.ctx.pool, user)
        except CognitoError as exc:
            return show(state, "forgot.html", 400, username=username, error=exc.message)
    # Whether or not the user exists, the page moves on (no user enumeration from the hosted UI).
    return redirect(state.link("/confirmForgotPassword", username=username))


async def confirm_forgot_password(svc: Services, request: Request) -> Response:
    state = await begin(svc, request)
    if isinstance(state, Response):
        return state
    username = request.query_params.get("username", "")
    if request.method == "GET":
        return show(state, "reset.html", username=username)
    try:
        form = await read_form(request)
    except FormTooLarge:
        return show(state, "reset.html", 413, username=username, error="Request too large.")
    if not form:
        return show(state, "reset.html", 400, username=username, error="Your session expired. Please try again.")
    username = form.get("username", username).strip()
    if form.get("password") != form.get("confirm_password"):
        return show(state, "reset.html", 400, username=username, error="Passwords do not match.")
    user = await svc.repo.user(state.ctx.pool, username)
    if user is None:
        return show(state, "reset.html", 400, username=username, error=CognitoError.code_mismatch().message)
    try:
        await reset_with_code(svc, state.ctx.pool, user, form.get("code", "").strip(), form.get("password", ""))
    except CognitoError as exc:
        return show(state, "reset.html", 400, username=username, error=exc.message)
    return redirect(state.link("/login"))
