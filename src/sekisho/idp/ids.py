"""Identifier and secret formats as Cognito issues them."""

from __future__ import annotations

import secrets
import string
import uuid

__all__ = [
    "new_client_id",
    "new_client_secret",
    "new_numeric_code",
    "new_pool_id",
    "new_sub",
    "new_temporary_password",
]

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def new_pool_id(region: str) -> str:
    """`<region>_<9 mixed-case alphanumerics>`, e.g. `us-east-1_XZkYwawRq`."""
    return f"{region}_" + "".join(secrets.choice(_ALNUM) for _ in range(9))


def new_client_id() -> str:
    """26 lowercase alphanumerics, e.g. `1pf00c5or942c2hm37mgv0u509`."""
    return "".join(secrets.choice(_LOWER_ALNUM) for _ in range(26))


def new_client_secret() -> str:
    """51 lowercase alphanumerics (what Cognito generates; within `[\\w+]+`, 24-64)."""
    return "".join(secrets.choice(_LOWER_ALNUM) for _ in range(51))


def new_sub() -> str:
    return str(uuid.uuid4())


def new_numeric_code(digits: int = 6) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(digits))


def new_temporary_password() -> str:
    """A temporary password that satisfies Cognito's default policy."""
    body = [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice("^$*.!@#%&"),
    ] + [secrets.choice(_ALNUM) for _ in range(8)]
    secrets.SystemRandom().shuffle(body)
    return "".join(body)
