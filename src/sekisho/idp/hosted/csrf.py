"""Double-submit CSRF protection of the hosted forms: an `XSRF-TOKEN` cookie and a `_csrf` field, as Cognito."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.oauth2.context import DomainContext

__all__ = ["CSRF_COOKIE", "csrf_token", "set_csrf_cookie", "valid_csrf"]

CSRF_COOKIE = "XSRF-TOKEN"


def csrf_token(request: Request) -> str:
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    return secrets.token_urlsafe(24)


def set_csrf_cookie(response: Response, ctx: DomainContext, token: str) -> None:
    response.set_cookie(CSRF_COOKIE, token, path=ctx.cookie_path, httponly=True, secure=ctx.secure, samesite="lax")


def valid_csrf(request: Request, submitted: object) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return isinstance(submitted, str) and bool(cookie) and hmac.compare_digest(cookie or "", submitted)
