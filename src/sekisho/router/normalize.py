"""Request path normalization and Host header splitting, as Kong's router sees them."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["normalize_path", "sanitize_postfix", "split_host_port"]

_TRIPLET: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _decode_triplet(match: re.Match[str]) -> str:
    hex_digits = match.group(1)
    char = chr(int(hex_digits, 16))
    if char in _UNRESERVED:
        return char
    return "%" + hex_digits.upper()


def normalize_path(raw: str) -> str:
    """Kong 2.8's path normalization.

    %-triplets of unreserved characters are decoded and every other triplet is upper-cased; dot
    segments are removed (RFC 3986 §5.2.4) and runs of slashes are merged into one.
    """
    if raw in ("", "/"):
        return raw
    path = _TRIPLET.sub(_decode_triplet, raw) if "%" in raw else raw
    if "." not in path and "//" not in path:
        return path
    return _remove_dot_segments(path)


def _remove_dot_segments(path: str) -> str:
    # Index-based so a hostile path of many slashes or dots stays linear.
    out: list[str] = []
    size = len(path)
    i = 0
    while i < size:
        if path.startswith("/.", i) and i + 2 == size:
            out.append("/")
            break
        if path.startswith("/..", i) and i + 3 == size:
            if out:
                out.pop()
            out.append("/")
            break
        if size - i <= 2 and path[i:] in (".", ".."):
            break
        if path.startswith("../", i):
            i += 3
        elif path.startswith("./", i) or path.startswith("/./", i):
            i += 2
        elif path.startswith("/../", i):
            i += 3
            if out:
                out.pop()
        elif path.startswith("//", i):
            i += 1
        else:
            slash = path.find("/", i + 1)
            if slash == -1:
                out.append(path[i:])
                break
            out.append(path[i:slash])
            i = slash
    return "".join(out)


def sanitize_postfix(postfix: str) -> str:
    """Drop a leading `.`/`..` segment left over after stripping a prefix (Kong does the same)."""
    if postfix in (".", ".."):
        return ""
    if postfix.startswith("./"):
        return postfix[2:]
    if postfix.startswith("../"):
        return postfix[3:]
    return postfix


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def split_host_port(host: str, default_port: int) -> tuple[str, str]:
    """Split a Host value into (name without port, name with port), filling in `default_port`.

    Brackets around IPv6 literals are removed from the first value; a value that cannot be parsed is
    returned unchanged as the name.
    """
    if host.startswith("["):
        if host.endswith("]"):
            return host[1:-1], f"{host}:{default_port}"
        close = host.find("]:", 1)
        if close != -1:
            if close == len(host) - 2:
                return host[1:close], f"{host}{default_port}"
            if _digits(host[close + 2 :]):
                return host[1:close], host
        return host, f"{host}:{default_port}"
    colon = host.find(":")
    if colon == -1:
        return host, f"{host}:{default_port}"
    if colon == len(host) - 1:
        name = host[:-1]
        return name, f"{name}:{default_port}"
    if not _digits(host[colon + 1 :]):
        return host, f"[{host}]:{default_port}"
    return host[:colon], host
