"""Kong-compatible request routing: `Router(routes, services).match(...) -> Match | None`."""

from __future__ import annotations

from sekisho.router.match import Match
from sekisho.router.normalize import normalize_path
from sekisho.router.traditional import DEFAULT_CACHE_SIZE, HeaderLookup, Router

__all__ = ["DEFAULT_CACHE_SIZE", "HeaderLookup", "Match", "Router", "normalize_path"]
