"""Configuration of `basic-auth` (Kong's field names and defaults)."""

from __future__ import annotations

from sekisho.schema import Boolean, Record, String

__all__ = ["CONFIG"]

CONFIG = Record(
    {
        "anonymous": String(
            description=(
                "Consumer `id` or `username` (not `custom_id`) used as an anonymous consumer when authentication"
                " fails. When unset (default), failed authentication answers `401`."
            ),
        ),
        "hide_credentials": Boolean(
            required=True,
            default=False,
            description="When `true`, the `Authorization` (or `Proxy-Authorization`) header is not sent upstream.",
        ),
        "realm": String(
            required=True,
            default="service",
            description="Realm sent in the `WWW-Authenticate` header when authentication fails.",
        ),
    }
)
