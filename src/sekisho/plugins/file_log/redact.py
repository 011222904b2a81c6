"""Secrets never reach the log file: credentials in headers, query strings and URLs are replaced."""

from __future__ import annotations

import copy
from collections.abc import MutableMapping
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["REDACTED", "redact_serialized"]

REDACTED: Final = "REDACTED"

SECRET_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "apikey", "x-api-key", "x-auth-token"}
)
SECRET_PARAMETERS: Final = frozenset(
    {
        "apikey",
        "api_key",
        "key",
        "access_token",
        "id_token",
        "refresh_token",
        "token",
        "code",
        "client_secret",
        "password",
        "secret",
        "session",
    }
)


def _redact_mapping(table: Any, secret_names: frozenset[str]) -> None:
    if not isinstance(table, MutableMapping):
        return
    for name in list(table):
        if isinstance(name, str) and name.lower() in secret_names:
            table[name] = REDACTED


def _redact_url(url: Any) -> Any:
    if not isinstance(url, str) or "?" not in url:
        return url
    parts = urlsplit(url)
    query = [
        (k, REDACTED if k.lower() in SECRET_PARAMETERS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe=REDACTED)))


def redact_serialized(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of a `kong.log.serialize()` table with secrets replaced by `REDACTED`."""
    out = copy.deepcopy(message)
    request = out.get("request")
    if isinstance(request, dict):
        _redact_mapping(request.get("headers"), SECRET_HEADERS)
        _redact_mapping(request.get("querystring"), SECRET_PARAMETERS)
        for field in ("url", "uri"):
            if field in request:
                request[field] = _redact_url(request[field])
    response = out.get("response")
    if isinstance(response, dict):
        _redact_mapping(response.get("headers"), SECRET_HEADERS)
    if "upstream_uri" in out:
        out["upstream_uri"] = _redact_url(out["upstream_uri"])
    return out
