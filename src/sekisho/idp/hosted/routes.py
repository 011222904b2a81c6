"""The routes served on a hosted domain (paths are Cognito's, case included)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.services import Services

__all__ = ["hosted_routes"]

Endpoint = Callable[[Services, Request], Awaitable[Response]]


def hosted_routes() -> list[tuple[str, Endpoint, list[str]]]:
    return []
