"""`/_outbox`: the dev-only list of messages the IdP "sent" (verification and reset codes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sekisho.idp.hosted.render import render
from sekisho.idp.services import Services

__all__ = ["outbox_page"]


async def outbox_page(svc: Services, request: Request) -> Response:
    to = request.query_params.get("to")
    messages = await svc.outbox.messages(to)
    if request.query_params.get("format") == "json" or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"messages": messages})
    return render(request, "outbox.html", {"messages": list(reversed(messages)), "to": to or ""})
