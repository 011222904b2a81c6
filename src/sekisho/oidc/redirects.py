"""Open-redirect defence: a redirect goes to a configured absolute URI or a path on our own origin.

Browsers forgive a lot: `/\\evil`, `/%09/evil`, `//evil`, `\\\\evil`, `https:evil`, `user@evil` and control
characters can all turn an innocent-looking value into a jump to another site. Anything that is not
plainly one of the two accepted shapes is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

__all__ = ["safe_redirect", "same_origin_path", "split_origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def split_origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme]


def _has_bad_characters(value: str) -> bool:
    decoded = value
    for _ in range(3):  # repeated decoding catches %2509-style double encodings
        decoded = unquote(decoded)
    return any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in decoded)


def same_origin_path(target: str) -> str | None:
    """`target` if it is a plain absolute path on the current origin (`/a/b?c#d`), else None."""
    if not target.startswith("/") or target.startswith("//") or _has_bad_characters(target):
        return None
    decoded = unquote(unquote(target))
    if decoded.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def safe_redirect(target: str | None, *, allowed: Iterable[str] = (), origin: str | None = None) -> str | None:
    """The redirect target if acceptable: exactly a configured URI, an absolute URL on `origin`, or a path.

    `allowed` are configured absolute URIs (compared exactly, ignoring a trailing slash); `origin` is our own
    `scheme://host[:port]`, for which any path is accepted."""
    if not target or len(target) > 4096:
        return None
    for candidate in allowed:
        if target == candidate or target.rstrip("/") == candidate.rstrip("/"):
            return target
    if target.startswith("/"):
        return same_origin_path(target)
    if origin is None or _has_bad_characters(target):
        return None
    own = split_origin(origin)
    theirs = split_origin(target)
    if own is None or theirs is None or own != theirs:
        return None
    return target
