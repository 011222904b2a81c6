"""What every hosted page does first: find the domain, validate the carried authorization, read forms safely."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sekisho.idp.checks.authorization import AuthorizationRequest, validate_authorization
from sekisho.idp.checks.errors import ErrorPage, RedirectError
from sekisho.idp.hosted.csrf import csrf_token, set_csrf_cookie, valid_csrf
from sekisho.idp.hosted.render import render
from sekisho.idp.hosted.respond import error_redirect
from sekisho.idp.models import uses_email_as_username
from sekisho.idp.oauth2.context import DomainContext, domain_context
from sekisho.idp.services import Services

__all__ = ["FormTooLarge", "PageState", "begin", "read_form", "show"]

_MAX_FORM_BYTES = 65_536


class FormTooLarge(Exception):
    pass


class PageState:
    """A hosted page's request: its domain, its validated authorization request and its CSRF token."""

    def __init__(self, svc: Services, request: Request, ctx: DomainContext, authz: AuthorizationRequest) -> None:
        self.svc = svc
        self.request = request
        self.ctx = ctx
        self.authz = authz
        self.csrf = csrf_token(request)

    def link(self, path: str, **extra: str) -> str:
        return f"{self.ctx.url(path)}?{urlencode({**self.authz.params, **extra})}"

    def base_context(self) -> dict[str, Any]:
        pool = self.ctx.pool
        return {
            "csrf": self.csrf,
            "client_name": self.authz.client.get("ClientName", ""),
            "email_username": uses_email_as_username(pool),
            "self_signup": not (pool.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly", False),
            "login_url": self.link("/login"),
            "signup_url": self.link("/signup"),
            "forgot_url": self.link("/forgotPassword"),
            "error": None,
            "info": None,
        }


async def begin(svc: Services, request: Request) -> PageState | Response:
    """Resolve the domain and validate the authorization parameters the page carries."""
    ctx = await domain_context(svc, request)
    if ctx is None:
        return HTMLResponse("Not Found", status_code=404)
    try:
        authz = await validate_authorization(svc, ctx.pool, request.query_params)
    except (ErrorPage, RedirectError) as exc:
        return error_redirect(ctx, exc)
    return PageState(svc, request, ctx, authz)


async def read_form(request: Request) -> Mapping[str, str]:
    """The urlencoded form, capped in size; raises FormTooLarge. Invalid CSRF yields an empty mapping."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit() or int(declared) > _MAX_FORM_BYTES:
        raise FormTooLarge
    form = await request.form(max_files=0, max_fields=50)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not valid_csrf(request, values.get("_csrf")):
        return {}
    return values


def show(state: PageState, template: str, status: int = 200, **context: Any) -> Response:
    response = render(state.request, template, {**state.base_context(), **context}, status)
    set_csrf_cookie(response, state.ctx, state.csrf)
    return response
