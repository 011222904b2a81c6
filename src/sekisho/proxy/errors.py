"""Kong's proxy error bodies, per status, in the format the client asks for (kong/error_handlers.lua).

Errors raised by the proxy itself (no route, upstream failures, limits) use Kong's messages; the body is
`{"message": ...}` in JSON, or the HTML/XML/plain templates, chosen from `Accept`.
"""

from __future__ import annotations

import json
from typing import Final

from sekisho.errors import PluginError

__all__ = [
    "BODY_TOO_LARGE",
    "MESSAGES",
    "NO_ROUTE",
    "NO_SERVICE",
    "RING_BALANCER_FAILURE",
    "BodyTooLarge",
    "UpstreamError",
    "message_for",
    "negotiate",
    "render_error",
]

NO_ROUTE: Final = "no Route matched with those values"
NO_SERVICE: Final = "no Service found with those values"
RING_BALANCER_FAILURE: Final = "failure to get a peer from the ring-balancer"
HTTPS_REQUIRED: Final = "Please use HTTPS protocol"

MESSAGES: Final[dict[int, str]] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    411: "Length required",
    412: "Precondition failed",
    413: "Payload too large",
    414: "URI too long",
    417: "Expectation failed",
    429: "API rate limit exceeded",
    431: "Request header or cookie too large",
    494: "Request header or cookie too large",
    500: "An unexpected error occurred",
    501: "Not implemented",
    502: "An invalid response was received from the upstream server",
    503: "The upstream server is currently unavailable",
    504: "The upstream server is timing out",
}

JSON: Final = "application/json"
HTML: Final = "text/html"
XML: Final = "application/xml"
PLAIN: Final = "text/plain"

_MIME: Final[dict[str, str]] = {
    "application/json": JSON,
    "text/html": HTML,
    "application/xml": XML,
    "text/xml": XML,
    "text/plain": PLAIN,
    "text/*": HTML,
    "application/*": JSON,
}


BODY_TOO_LARGE: Final = "request body did not fit into client body buffer, consider raising 'client_body_buffer_size'"


class BodyTooLarge(PluginError):
    """`kong.request.get_raw_body()` on a body larger than `client_body_buffer_size` (answered 413)."""


class UpstreamError(Exception):
    """The upstream could not be used: `status` is what the client gets (502, 503, 504)."""

    def __init__(self, status: int, reason: str, *, retryable: bool = False, message: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retryable = retryable
        #: The client-facing message when it differs from Kong's default for `status`.
        self.message = message


def message_for(status: int) -> str:
    return MESSAGES.get(status) or f"The upstream server responded with {status}"


def negotiate(accept: str | None, default_type: str) -> str:
    """Kong's `get_mime_type`: the first media type of `Accept`, else `default_type`."""
    if accept:
        first = accept.split(",", 1)[0].split(";", 1)[0].strip().lower()
        if first == "*/*":
            return default_type if default_type in (JSON, HTML, XML, PLAIN) else JSON
        found = _MIME.get(first)
        if found is not None:
            return found
    return _MIME.get(default_type.lower(), JSON)


def _escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_error(status: int, message: str | None, accept: str | None, default_type: str) -> tuple[bytes, bytes]:
    """(body, content-type) of a generated error response."""
    text = message if message is not None else message_for(status)
    kind = negotiate(accept, default_type)
    if kind == HTML:
        body = (
            '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Kong Error</title>\n'
            f"  </head>\n  <body>\n    <h1>Kong Error</h1>\n    <p>{_escape_markup(text)}.</p>\n  </body>\n</html>\n"
        )
        return body.encode(), b"text/html; charset=utf-8"
    if kind == XML:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>{_escape_markup(text)}</message>\n</error>\n'
        )
        return body.encode(), b"application/xml; charset=utf-8"
    if kind == PLAIN:
        return f"{text}\n".encode(), b"text/plain; charset=utf-8"
    return json.dumps({"message": text}, ensure_ascii=False).encode(), b"application/json; charset=utf-8"
