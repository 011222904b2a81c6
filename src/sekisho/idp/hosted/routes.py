"""The routes served on a hosted domain (paths are Cognito's, case included)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.services import Services

__all__ = ["hosted_routes"]

Endpoint = Callable[[Services, Request], Awaitable[Response]]


def hosted_routes() -> list[tuple[str, Endpoint, list[str]]]:
    from sekisho.idp.hosted.confirm import confirm
    from sekisho.idp.hosted.error_page import error_page
    from sekisho.idp.hosted.forgot_password import confirm_forgot_password, forgot_password
    from sekisho.idp.hosted.login import login
    from sekisho.idp.hosted.signup import signup
    from sekisho.idp.oauth2.authorize import authorize
    from sekisho.idp.oauth2.logout import logout
    from sekisho.idp.oauth2.revoke import revoke
    from sekisho.idp.oauth2.token import token
    from sekisho.idp.oauth2.userinfo import userinfo

    pages = ["GET", "POST"]
    return [
        ("/oauth2/authorize", authorize, ["GET"]),
        ("/oauth2/token", token, ["POST"]),
        ("/oauth2/userInfo", userinfo, ["GET", "POST"]),
        ("/oauth2/revoke", revoke, ["POST"]),
        ("/logout", logout, ["GET"]),
        ("/login", login, pages),
        ("/signup", signup, pages),
        ("/confirm", confirm, pages),
        ("/forgotPassword", forgot_password, pages),
        ("/confirmForgotPassword", confirm_forgot_password, pages),
        ("/error", error_page, ["GET"]),
    ]
