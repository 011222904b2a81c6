"""Route path regexes: Kong's PCRE syntax compiled with Python's `re`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

__all__ = ["REGEX_PREFIX", "compile_route_regex", "is_regex_path", "pcre_to_python"]

REGEX_PREFIX: Final = "~"
_PLAIN_PATH: Final = re.compile(r"^[A-Za-z0-9.\-_~/%]*$")
_NAMED_GROUP: Final = re.compile(r"\(\?<(?![=!])([A-Za-z_][A-Za-z0-9_]*)>")


def is_regex_path(path: str) -> bool:
    """3.x: a leading `~` marks a regex; 2.8: any character outside `[a-zA-Z0-9.-_~/%]` does."""
    return path.startswith(REGEX_PREFIX) or not _PLAIN_PATH.match(path)


def pcre_to_python(pattern: str) -> str:
    """Translate the PCRE constructs routes use (`(?<name>...)`) into Python's syntax."""
    if pattern.startswith(REGEX_PREFIX):
        pattern = pattern[1:]
    return _NAMED_GROUP.sub(r"(?P<\1>", pattern)


@lru_cache(maxsize=4096)
def compile_route_regex(path: str) -> re.Pattern[str]:
    """Compile a route regex path; raises `re.error` when invalid."""
    return re.compile(pcre_to_python(path))
