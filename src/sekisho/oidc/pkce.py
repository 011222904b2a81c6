"""Proof Key for Code Exchange (RFC 7636): S256 only (§4.2); `plain` is never used."""

from __future__ import annotations

import base64
import hashlib
import secrets

__all__ = ["challenge_s256", "new_verifier"]


def new_verifier() -> str:
    """A 64-character verifier from the unreserved alphabet (RFC 7636 §4.1: 43 to 128 characters)."""
    return secrets.token_urlsafe(48)


def challenge_s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
