"""Kong's developer status codes (kong/enterprise_edition/dao/enums.lua)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["DeveloperStatus"]


class DeveloperStatus(IntEnum):
    APPROVED = 0
    PENDING = 1
    REJECTED = 2
    REVOKED = 3
    INVITED = 4
    UNVERIFIED = 5

    @classmethod
    def label(cls, code: int) -> str:
        try:
            return cls(code).name
        except ValueError:
            return "UNKNOWN"
