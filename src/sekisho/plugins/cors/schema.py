"""Configuration of `cors` (Kong's field names and defaults)."""

from __future__ import annotations

import re

from sekisho.schema import Array, Boolean, Number, Record, String

__all__ = ["CONFIG", "METHODS"]

METHODS = ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT")


def _asterisk_or_regex(value: str) -> str | None:
    if value == "*":
        return None
    try:
        re.compile(value)
    except re.error:
        return f"'{value}' is not a valid regex"
    return None


CONFIG = Record(
    {
        "origins": Array(
            String(validators=[_asterisk_or_regex]),
            description=(
                "Allowed origins: `*` for any, an exact origin (`https://example.com`) or a regular expression"
                " matched against the whole origin (or only its host when the expression has no `:`)."
            ),
        ),
        "headers": Array(
            String(),
            description=(
                "Value of `Access-Control-Allow-Headers` on preflight answers; unset: the request's"
                " `Access-Control-Request-Headers` is echoed."
            ),
        ),
        "exposed_headers": Array(
            String(), description="Value of `Access-Control-Expose-Headers` on actual (non-preflight) responses."
        ),
        "methods": Array(
            String(one_of=list(METHODS)),
            default=list(METHODS),
            description="Value of `Access-Control-Allow-Methods` on preflight answers.",
        ),
        "max_age": Number(description="Seconds a preflight answer may be cached (`Access-Control-Max-Age`)."),
        "credentials": Boolean(
            required=True,
            default=False,
            description="Send `Access-Control-Allow-Credentials: true` (the request's origin replaces `*`).",
        ),
        "private_network": Boolean(
            required=True,
            default=False,
            description=(
                "Answer `Access-Control-Request-Private-Network: true` preflights with"
                " `Access-Control-Allow-Private-Network: true`."
            ),
        ),
        "allow_origin_absent": Boolean(
            required=True,
            default=True,
            description="Add CORS headers to responses of requests that carry no `Origin` header (Kong 3.7).",
        ),
        "preflight_continue": Boolean(
            required=True,
            default=False,
            description="Proxy preflight `OPTIONS` requests upstream instead of answering them at the gateway.",
        ),
    }
)
