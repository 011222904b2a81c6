"""`/error`: Cognito's generic error page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.hosted.render import render
from sekisho.idp.services import Services

__all__ = ["error_page"]


async def error_page(svc: Services, request: Request) -> Response:
    error = request.query_params.get("error", "")[:200]
    return render(request, "error.html", {"error": error}, status=400)
