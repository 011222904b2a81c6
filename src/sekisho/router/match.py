"""The router's answer for one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Match", "Row"]

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Match:
    """What matched and where the request goes upstream.

    Instances are cached and shared between requests: treat them, and `uri_captures`, as read-only.
    """

    route: Row
    #: None when the route has no service, or its service row is unknown (the proxy answers 503).
    service: Row | None
    #: service.path joined with the request path per strip_path/path_handling (no query string).
    upstream_path: str
    #: The route path (prefix or regex, as written in the route) that matched; None for path-less routes.
    matched_path: str | None
    #: The stripped part of the request path, for X-Forwarded-Prefix; None when nothing was stripped or it is "/".
    matched_prefix: str | None
    #: For regex paths with groups: {"unnamed": [whole path, group 1, group 2, ...], "named": {name: value}}.
    #: Index 0 holds the whole request path so indexes line up with Kong's `uri_captures[1]`, `[2]`, ...
    uri_captures: dict[str, Any] | None
    #: The route host (as written, wildcards included) that matched; None when the route has no hosts.
    matched_host: str | None
