"""Kong's `kong.log` level methods, written once over a single `_emit(level, parts)`.

Each PDK implementation (the proxy's per-request log, the worker's init_worker log, the portal's) decides where a
line goes and what `serialize()` returns; the level vocabulary is shared here.
"""

from __future__ import annotations

import logging

__all__ = ["LogLevels"]


class LogLevels:
    """debug/info/notice/warn/err/crit as Kong names them; `notice` maps to INFO (Python has no NOTICE)."""

    __slots__ = ()

    def _emit(self, level: int, parts: tuple[object, ...]) -> None:
        raise NotImplementedError

    def debug(self, *parts: object) -> None:
        self._emit(logging.DEBUG, parts)

    def info(self, *parts: object) -> None:
        self._emit(logging.INFO, parts)

    def notice(self, *parts: object) -> None:
        self._emit(logging.INFO, parts)

    def warn(self, *parts: object) -> None:
        self._emit(logging.WARNING, parts)

    def err(self, *parts: object) -> None:
        self._emit(logging.ERROR, parts)

    def crit(self, *parts: object) -> None:
        self._emit(logging.CRITICAL, parts)
