"""Upstream path composition (Kong's `strip_path` × `path_handling` rules)."""

from __future__ import annotations

__all__ = ["compose_upstream_path"]


def compose_upstream_path(base: str, request_path: str, postfix: str, strip: bool, path_handling: str) -> str:
    """Build the upstream path from `service.path` (`base`, "/" when unset) and the normalized request path.

    `postfix` is what follows the matched route path (or the request path without its leading slash
    when the route has no paths).
    """
    if path_handling == "v1":
        if not strip:
            return base + request_path[1:]
        if base.endswith("/") and postfix.startswith("/"):
            return base[:-1] + postfix
        return base + postfix
    if base.endswith("/"):
        if not strip:
            return base + request_path[1:]
        if postfix == "":
            if base == "/":
                return "/"
            return base if request_path.endswith("/") else base[:-1]
        if postfix.startswith("/"):
            return base[:-1] + postfix
        return base + postfix
    if not strip:
        return base if request_path == "/" else base + request_path
    if postfix == "":
        return base + "/" if len(request_path) > 1 and request_path.endswith("/") else base
    if postfix.startswith("/"):
        return base + postfix
    return base + "/" + postfix
