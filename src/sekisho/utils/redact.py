"""One place that scrubs secrets from anything about to be logged.

`redact(value)` walks dicts, lists, strings and bytes: sensitive header names and parameter names get their
values replaced, query strings and URLs have sensitive arguments masked, `Bearer`/`Basic` credentials and
JWT-shaped strings inside free text are masked too. It never raises and never returns the secret.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "is_sensitive_name", "redact", "redact_headers", "redact_query", "redact_text", "redact_url"]

MASK: Final = "[REDACTED]"

_SENSITIVE_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "apikey", "x-amz-security-token"}
)
_SENSITIVE_PARAMS: Final = frozenset(
    {
        "code",
        "id_token",
        "access_token",
        "refresh_token",
        "client_secret",
        "password",
        "apikey",
        "api_key",
        "api-key",
        "key",
        "token",
        "secret",
        "session",
        "state",
        "code_verifier",
        "client_assertion",
        "assertion",
        "pg_password",
        "license_data",
        "passwd",
    }
)
# Name fragments that make any field sensitive (e.g. `X-Session-Token`, `db_password`, `private_key`).
_SENSITIVE_FRAGMENTS = re.compile(r"pass(word|wd)|secret|token|credential|cookie|authorization|private_key|apikey")

# In free text: `Bearer <token>`, `Basic <b64>`, JWT/JWE-shaped strings, `name=value` pairs with sensitive names,
# and `"name": "value"` JSON pairs.
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic|digest|negotiate)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_.-]*")
_PAIR = re.compile(r"(?i)(?P<name>[A-Za-z0-9_.-]+)(?P<sep>=)(?P<value>[^&\s\"',;]*)")
_JSON_PAIR = re.compile(r'(?i)"(?P<name>[A-Za-z0-9_.-]+)"\s*:\s*"(?P<value>(?:[^"\\]|\\.)*)"')
_HEADER_LINE = re.compile(r"(?im)^(?P<name>(proxy-)?authorization|(set-)?cookie|x-api-key|apikey)\s*:\s*(?P<value>.*)$")

# A cheap first look: text matching none of these cannot hold anything the patterns above would mask.
_MAYBE_SECRET = re.compile(r'=|eyJ|":|(?i:bearer|basic|digest|negotiate|authorization|cookie|api-?key)')

# Query values that need a closer look even under an innocent name.
_MAYBE_SECRET_VALUE = re.compile(r"eyJ|(?i:bearer|basic)(?:\+|%20)")

_MAX_DEPTH: Final = 32


@functools.lru_cache(maxsize=4096)
def is_sensitive_name(name: str) -> bool:
    lowered = name.strip().lower()
    return (
        lowered in _SENSITIVE_HEADERS
        or lowered in _SENSITIVE_PARAMS
        or bool(_SENSITIVE_FRAGMENTS.search(lowered.replace("-", "").replace("_", "")))
        or bool(_SENSITIVE_FRAGMENTS.search(lowered))
    )


def redact_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with sensitive header values masked (names kept so the log still shows they were sent)."""
    return {name: (MASK if is_sensitive_name(name) else redact(value)) for name, value in headers.items()}


def redact_query(query: str) -> str:
    """`a=1&code=xyz` -> `a=1&code=[REDACTED]`; keeps order and blank values."""
    if not query:
        return query
    if not _query_needs_masking(query):
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return redact_text(query)
    return urlencode([(k, MASK if is_sensitive_name(k) else redact_text(v)) for k, v in pairs], safe="[]/:")


def _query_needs_masking(query: str) -> bool:
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if is_sensitive_name(unquote_plus(name)) or _MAYBE_SECRET_VALUE.search(value):
            return True
    return False


def redact_url(url: str) -> str:
    """Mask sensitive query and fragment arguments and any userinfo password."""
    if "?" not in url and "#" not in url and "@" not in url:
        return redact_text(url)
    path, _, query = url.partition("?")
    if "#" not in url and "@" not in path and not _query_needs_masking(query):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{MASK}@{hostport}" if ":" in userinfo else netloc
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            redact_query(parts.query),
            redact_query(parts.fragment) if "=" in parts.fragment else parts.fragment,
        )
    )


def _mask_pair(match: re.Match[str]) -> str:
    if is_sensitive_name(match.group("name")):
        return f"{match.group('name')}{match.group('sep')}{MASK}"
    return match.group(0)


def _mask_json_pair(match: re.Match[str]) -> str:
    if is_sensitive_name(match.group("name")):
        return f'"{match.group("name")}": "{MASK}"'
    return match.group(0)


def redact_text(text: str) -> str:
    """Mask credentials found anywhere in free text (log messages, error strings, raw header blocks)."""
    if not text or not _MAYBE_SECRET.search(text):
        return text
    text = _HEADER_LINE.sub(lambda m: f"{m.group('name')}: {MASK}", text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _JWT.sub(MASK, text)
    text = _JSON_PAIR.sub(_mask_json_pair, text)
    return _PAIR.sub(_mask_pair, text)


_SCALARS: Final = (int, float, bool, type(None))


def redact(value: Any, _depth: int = 0) -> Any:
    """Scrub secrets from a log record, message or any JSON-like structure."""
    kind = type(value)
    if kind is str:
        return redact_text(value)
    if kind in _SCALARS:
        return value
    if _depth > _MAX_DEPTH:
        return MASK
    if kind is dict or isinstance(value, Mapping):
        out = {}
        for key, val in value.items():
            if type(key) is str and val is not None and val != "" and is_sensitive_name(key):
                out[key] = MASK
            elif type(val) in _SCALARS:
                out[key] = val
            else:
                out[key] = redact(val, _depth + 1)
        return out
    if kind is list or isinstance(value, list | tuple | set | frozenset):
        return [redact(item, _depth + 1) for item in value]
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"))
    return value
