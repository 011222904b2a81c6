"""The hosted-UI session: cookie `cognito`, one hour, so a second authorize skips the login form."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.models import User
from sekisho.idp.oauth2.context import DomainContext
from sekisho.idp.services import Services
from sekisho.idp.store import Delete, Put

__all__ = ["SESSION_COOKIE", "SESSION_SECONDS", "clear_session", "current_session", "start_session"]

SESSION_COOKIE = "cognito"
SESSION_SECONDS = 3600
_KIND = "hosted_session"


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(svc: Services, ctx: DomainContext, user: User, response: Response) -> int:
    """Create the session, set its cookie on `response`, return the authentication time."""
    token = secrets.token_urlsafe(32)
    now = int(svc.clock.now())
    record = {
        "pool_id": ctx.pool["Id"],
        "user_key": user["_key"],
        "auth_time": now,
        "expires_at": now + SESSION_SECONDS,
    }
    await svc.store.apply([Put(_KIND, ctx.domain, _key(token), record)])
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path=ctx.cookie_path,
        httponly=True,
        secure=ctx.secure,
        samesite="lax",
    )
    return now


async def current_session(svc: Services, ctx: DomainContext, request: Request) -> tuple[User, int] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 256:
        return None
    record: dict[str, Any] | None = await svc.store.get(_KIND, ctx.domain, _key(token))
    if record is None or record["expires_at"] <= svc.clock.now() or record["pool_id"] != ctx.pool["Id"]:
        return None
    user = await svc.store.get("user", ctx.pool["Id"], record["user_key"])
    if user is None or not user.get("Enabled", True) or user["UserStatus"] != "CONFIRMED":
        return None
    return user, int(record["auth_time"])


async def clear_session(svc: Services, ctx: DomainContext, request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) <= 256:
        await svc.store.apply([Delete(_KIND, ctx.domain, _key(token))])
    response.delete_cookie(SESSION_COOKIE, path=ctx.cookie_path, secure=ctx.secure, httponly=True, samesite="lax")
