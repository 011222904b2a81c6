"""Password hashing for basic-auth credentials: argon2id (Kong stores sha1(password .. consumer_id))."""

from __future__ import annotations

from argon2 import PasswordHasher, exceptions as argon2_errors

__all__ = ["MAX_PASSWORD_LENGTH", "hash_password", "is_password_hash", "verify_password"]

# OWASP's argon2id baseline (19 MiB, 2 passes): verification runs per request unless cached.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
MAX_PASSWORD_LENGTH = 1024


def is_password_hash(value: str) -> bool:
    """Whether `value` already is one of our hashes (export then import must not hash twice)."""
    return value.startswith("$argon2id$")


def hash_password(password: str) -> str:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"length must be at most {MAX_PASSWORD_LENGTH}")
    if is_password_hash(password):
        return password
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH or not is_password_hash(stored_hash):
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (argon2_errors.VerificationError, argon2_errors.InvalidHashError):
        return False
