"""Kong-compatible request routing (Kong 2.8's "traditional" router).

    router = Router(route_rows, {service["id"]: service for service in service_rows})
    match = router.match("GET", "api.example.com:8000", "/v1/users/42", headers.get, scheme="https", sni=sni)
    if match is None: ...            # 404 "no Route matched with those values"
    elif match.service is None: ...  # 503 "no Service found with those values"
    else: forward to match.upstream_path (+ the original query string)

Rows are dicts as `sekisho.entities` produces them. A `Router` is immutable: build a new one off the hot
path when routes or services change. See `sekisho.router.traditional` for the matching rules.
"""

from __future__ import annotations

from sekisho.router.match import Match
from sekisho.router.normalize import normalize_path
from sekisho.router.traditional import DEFAULT_CACHE_SIZE, HeaderLookup, Router

__all__ = ["DEFAULT_CACHE_SIZE", "HeaderLookup", "Match", "Router", "normalize_path"]
