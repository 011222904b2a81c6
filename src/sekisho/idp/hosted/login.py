"""`/login`: the sign-in form; a successful POST starts the hosted session and finishes the authorization."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.errors import CognitoError
from sekisho.idp.hosted.pages import FormTooLarge, PageState, begin, read_form, show
from sekisho.idp.hosted.respond import finish_authorization, redirect
from sekisho.idp.hosted.session import current_session, start_session
from sekisho.idp.models import User
from sekisho.idp.passwords import check_policy, hash_password
from sekisho.idp.services import Services
from sekisho.idp.store import Put
from sekisho.idp.targets._users import authenticate

__all__ = ["login"]

_CHANGE_SECONDS = 180


async def login(svc: Services, request: Request) -> Response:
    state = await begin(svc, request)
    if isinstance(state, Response):
        return state
    if request.method == "GET":
        session = await current_session(svc, state.ctx, request)
        if session is not None:
            return await finish_authorization(svc, state.authz, *session)
        return show(state, "login.html", username="")
    try:
        form = await read_form(request)
    except FormTooLarge:
        return show(state, "login.html", 413, username="", error="The request was too large.")
    if not form:
        return show(state, "login.html", 400, username="", error="Your session expired. Please try again.")
    if form.get("challenge"):
        return await _change_password(state, form)
    username = form.get("username", "").strip()
    try:
        user = await authenticate(svc, state.ctx.pool, state.authz.client, username, form.get("password", ""))
    except CognitoError as exc:
        if exc.type_name == "UserNotConfirmedException":
            return redirect(state.link("/confirm", username=username))
        message = exc.message if exc.type_name == "NotAuthorizedException" else "Incorrect username or password."
        return show(state, "login.html", 400, username=username, error=message)
    if user["UserStatus"] == "FORCE_CHANGE_PASSWORD":
        return await _ask_new_password(state, user)
    return await _signed_in(state, user)


async def _signed_in(state: PageState, user: User) -> Response:
    placeholder = Response()
    auth_time = await start_session(state.svc, state.ctx, user, placeholder)
    return await finish_authorization(state.svc, state.authz, user, auth_time, placeholder)


async def _ask_new_password(state: PageState, user: User, error: str | None = None) -> Response:
    challenge = secrets.token_urlsafe(24)
    record = {"user_key": user["_key"], "expires_at": state.svc.clock.now() + _CHANGE_SECONDS}
    await state.svc.store.apply([Put("login_challenge", state.ctx.pool["Id"], challenge, record)])
    return show(state, "new_password.html", 200 if error is None else 400, challenge=challenge, error=error)


async def _change_password(state: PageState, form: Mapping[str, str]) -> Response:
    svc, pool = state.svc, state.ctx.pool
    record = await svc.store.take("login_challenge", pool["Id"], str(form.get("challenge")))
    if record is None or record["expires_at"] <= svc.clock.now():
        return show(state, "login.html", 400, username="", error="Your session expired. Please sign in again.")
    user = await svc.store.get("user", pool["Id"], record["user_key"])
    if user is None:
        return show(state, "login.html", 400, username="", error="Incorrect username or password.")
    password = str(form.get("new_password", ""))
    if password != form.get("confirm_password"):
        return await _ask_new_password(state, user, "Passwords do not match.")
    try:
        check_policy(password, pool["Policies"]["PasswordPolicy"])
    except CognitoError as exc:
        return await _ask_new_password(state, user, exc.message)
    user["_password"] = hash_password(password)
    user["UserStatus"] = "CONFIRMED"
    user.pop("_temporary_password_expires_at", None)
    await svc.repo.save_user(pool, user)
    return await _signed_in(state, user)
