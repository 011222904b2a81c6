"""`/signup`: self-service sign-up with the pool's required attributes, then on to /confirm."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.errors import CognitoError
from sekisho.idp.hosted.pages import FormTooLarge, PageState, begin, read_form, show
from sekisho.idp.hosted.respond import redirect
from sekisho.idp.models import required_attributes, uses_email_as_username
from sekisho.idp.passwords import check_policy, hash_password
from sekisho.idp.services import Services
from sekisho.idp.targets._common import issue_code
from sekisho.idp.targets._users import check_attributes, new_user

__all__ = ["signup"]

_LABELS = {
    "email": "Email",
    "given_name": "Given name",
    "family_name": "Family name",
    "name": "Name",
    "phone_number": "Phone number",
    "preferred_username": "Preferred username",
    "birthdate": "Birthdate",
    "nickname": "Nickname",
}


_FIRST = ("email", "name", "given_name", "family_name")


def password_hint(policy: dict[str, Any]) -> str:
    needs = [
        label
        for key, label in (
            ("RequireUppercase", "an uppercase letter"),
            ("RequireLowercase", "a lowercase letter"),
            ("RequireNumbers", "a number"),
            ("RequireSymbols", "a symbol"),
        )
        if policy.get(key)
    ]
    hint = f"At least {policy.get('MinimumLength', 8)} characters"
    if needs:
        hint += " with " + (", ".join(needs[:-1]) + " and " + needs[-1] if len(needs) > 1 else needs[0])
    return hint + "."


def _fields(state: PageState) -> list[dict[str, str]]:
    names = [n for n in required_attributes(state.ctx.pool) if n != "sub"]
    names.sort(key=lambda n: (_FIRST.index(n) if n in _FIRST else len(_FIRST), n))
    if uses_email_as_username(state.ctx.pool):
        names = [n for n in names if n != "email"]
    return [
        {
            "name": n,
            "label": _LABELS.get(n, n.replace("_", " ").capitalize()),
            "type": "email" if n == "email" else "text",
        }
        for n in names
    ]


def _hint(state: PageState) -> str:
    return password_hint(state.ctx.pool["Policies"]["PasswordPolicy"])


async def signup(svc: Services, request: Request) -> Response:
    state = await begin(svc, request)
    if isinstance(state, Response):
        return state
    if (state.ctx.pool.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        return show(state, "login.html", 403, username="", error="Sign-up is not permitted for this user pool.")
    fields = _fields(state)

    def page(status: int = 200, **context: Any) -> Response:
        defaults = {"fields": fields, "values": {}, "username": "", "hint": _hint(state)}
        return show(state, "signup.html", status, **(defaults | context))

    if request.method == "GET":
        return page()
    try:
        form = await read_form(request)
    except FormTooLarge:
        return page(413, error="The request was too large.")
    if not form:
        return page(400, error="Your session expired. Please try again.")
    username = form.get("username", "").strip()
    values = {f["name"]: form.get(f"requiredAttributes[{f['name']}]", "").strip() for f in fields}
    try:
        await _create(state, username, form.get("password", ""), values)
    except CognitoError as exc:
        return page(400, values=values, username=username, error=exc.message)
    return redirect(state.link("/confirm", username=username))


async def _create(state: PageState, username: str, password: str, values: Mapping[str, str]) -> None:
    svc, pool = state.svc, state.ctx.pool
    attributes = {k: v for k, v in values.items() if v}
    if uses_email_as_username(pool):
        attributes["email"] = username
    check_attributes(pool, attributes, enforce_required=True, client=state.authz.client)
    check_policy(password, pool["Policies"]["PasswordPolicy"])
    user = new_user(svc, pool, username, attributes, "UNCONFIRMED", hash_password(password))
    await svc.repo.create_user(pool, user)
    if "email" in (pool.get("AutoVerifiedAttributes") or []) and attributes.get("email"):
        await issue_code(svc, pool, user, "confirmation")
