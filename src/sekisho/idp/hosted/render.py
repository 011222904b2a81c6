"""Jinja2 rendering of the hosted pages (autoescaped, no external assets)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["render"]

_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sekisho.idp", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    html = _environment().get_template(template).render(**context)
    response = HTMLResponse(html, status_code=status)
    response.headers["cache-control"] = "no-store"
    # No form-action: after a POST the browser follows redirects to the client's callback, whatever its scheme.
    response.headers["content-security-policy"] = _CSP
    response.headers["x-frame-options"] = "DENY"
    return response
