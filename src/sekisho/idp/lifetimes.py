"""Token lifetimes from an app client's settings (`*TokenValidity` in `TokenValidityUnits`)."""

from __future__ import annotations

from typing import Any

__all__ = ["UNIT_SECONDS", "lifetime_seconds"]

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_FIELDS = {"AccessToken": "AccessTokenValidity", "IdToken": "IdTokenValidity", "RefreshToken": "RefreshTokenValidity"}
_DEFAULT_UNITS = {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}
_DEFAULT_VALUES = {"AccessToken": 1, "IdToken": 1, "RefreshToken": 30}


def lifetime_seconds(client: dict[str, Any], which: str) -> int:
    """`which` is AccessToken, IdToken or RefreshToken; default units hours, hours, days (as Cognito)."""
    value = client.get(_FIELDS[which]) or _DEFAULT_VALUES[which]
    unit = (client.get("TokenValidityUnits") or {}).get(which) or _DEFAULT_UNITS[which]
    return int(value) * UNIT_SECONDS[unit]
