"""Password hashing (argon2) and Cognito's password policy with its exact messages."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sekisho.idp.errors import CognitoError

__all__ = ["DEFAULT_PASSWORD_POLICY", "check_policy", "hash_password", "verify_password"]

DEFAULT_PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
# Cognito's special characters (and space).
_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
_MAX_LENGTH = 256
_hasher = PasswordHasher()


def check_policy(password: str, policy: dict[str, Any]) -> None:
    """Raise InvalidPasswordException when `password` breaks the pool's policy."""

    def fail(reason: str) -> CognitoError:
        return CognitoError.invalid_password(f"Password did not conform with policy: {reason}")

    if len(password) < int(policy.get("MinimumLength", 8)):
        raise fail("Password not long enough")
    if len(password) > _MAX_LENGTH:
        raise CognitoError.invalid_parameter(
            "1 validation error detected: Value at 'password' failed to satisfy "
            "constraint: Member must have length less than or equal to 256"
        )
    if policy.get("RequireLowercase") and not any("a" <= c <= "z" for c in password):
        raise fail("Password must have lowercase characters")
    if policy.get("RequireUppercase") and not any("A" <= c <= "Z" for c in password):
        raise fail("Password must have uppercase characters")
    if policy.get("RequireNumbers") and not any(c.isascii() and c.isdigit() for c in password):
        raise fail("Password must have numeric characters")
    if policy.get("RequireSymbols") and not any(c in _SYMBOLS for c in password):
        raise fail("Password must have symbol characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
