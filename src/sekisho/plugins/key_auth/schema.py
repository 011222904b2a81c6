"""Configuration of `key-auth` (Kong's field names and defaults)."""

from __future__ import annotations

from sekisho.schema import Array, Boolean, Record, String, typedefs as t

__all__ = ["CONFIG"]

CONFIG = Record(
    {
        "key_names": Array(
            t.header_name(),
            required=True,
            default=["apikey"],
            description=(
                "Names of the header, query-string parameter or body field that carry the key, tried in order."
                " Names may only contain letters, digits, `_` and `-`."
            ),
        ),
        "hide_credentials": Boolean(
            required=True,
            default=False,
            description="When `true`, the key is removed from the request before it is proxied upstream.",
        ),
        "anonymous": String(
            description=(
                "Consumer `id` or `username` used as an anonymous consumer when authentication fails."
                " When unset (default), failed authentication answers `401`."
            ),
        ),
        "key_in_header": Boolean(required=True, default=True, description="Look for the key in the request headers."),
        "key_in_query": Boolean(required=True, default=True, description="Look for the key in the query string."),
        "key_in_body": Boolean(
            required=True,
            default=False,
            description=(
                "Look for the key in the request body (`application/x-www-form-urlencoded` or"
                " `application/json`; Kong also reads `multipart/form-data`, sekisho does not)."
            ),
        ),
        "run_on_preflight": Boolean(
            required=True,
            default=True,
            description="Authenticate `OPTIONS` preflight requests too; when `false` they are always let through.",
        ),
        "realm": String(
            description=(
                "Realm sent in the `WWW-Authenticate` header on failures; when unset the header reads"
                ' `Key realm="kong"`.'
            ),
        ),
    }
)
