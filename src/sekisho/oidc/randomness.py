"""Unguessable values for `state`, `nonce` and session ids."""

from __future__ import annotations

import secrets

__all__ = ["new_nonce", "new_session_id", "new_state"]


def new_state() -> str:
    return secrets.token_urlsafe(24)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
