"""Errors of the relying-party library. `reason` is safe to log and to show with `display_errors`."""

from __future__ import annotations

from sekisho.errors import SekishoError

__all__ = ["OIDCError", "ProviderError", "TokenError"]


class OIDCError(SekishoError):
    """Root of the relying-party errors."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenError(OIDCError):
    """A token is malformed, badly signed, or its claims are not acceptable (-> 401)."""


class ProviderError(OIDCError):
    """The provider could not be reached or answered something unusable (-> 500, fail closed)."""
