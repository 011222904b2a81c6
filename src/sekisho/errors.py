"""The error tree of sekisho.

SekishoError
├── ConfigError            bad node configuration (names the key)
├── SchemaViolation        entity or plugin config failed validation; carries Kong's nested `fields`
├── StoreError             Kong's numbered database errors (kong/db/errors.lua)
│   └── DeclarativeError   a declarative configuration could not be loaded
└── PluginError            a plugin misbehaved at run time
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

__all__ = [
    "ConfigError",
    "DeclarativeError",
    "ErrorCode",
    "PluginError",
    "SchemaViolation",
    "SekishoError",
    "StoreError",
    "flatten_field_errors",
]


class SekishoError(Exception):
    """Root of every error raised on purpose by sekisho."""


class ConfigError(SekishoError):
    """The node configuration is invalid; `key` names the offending setting."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class PluginError(SekishoError):
    """A plugin failed while handling a request."""


class ErrorCode(IntEnum):
    """Kong's database error codes, with the HTTP status the Admin API answers."""

    INVALID_PRIMARY_KEY = 1
    SCHEMA_VIOLATION = 2
    PRIMARY_KEY_VIOLATION = 3
    FOREIGN_KEY_VIOLATION = 4
    UNIQUE_VIOLATION = 5
    NOT_FOUND = 6
    INVALID_OFFSET = 7
    DATABASE_ERROR = 8
    INVALID_SIZE = 9
    INVALID_UNIQUE = 10
    INVALID_OPTIONS = 11
    OPERATION_UNSUPPORTED = 12
    FOREIGN_KEYS_UNRESOLVED = 13
    DECLARATIVE_CONFIG = 14

    @property
    def kong_name(self) -> str:
        return _NAMES[self]

    @property
    def http_status(self) -> int:
        return _STATUS.get(self, 400)


_NAMES = {
    ErrorCode.INVALID_PRIMARY_KEY: "invalid primary key",
    ErrorCode.SCHEMA_VIOLATION: "schema violation",
    ErrorCode.PRIMARY_KEY_VIOLATION: "primary key violation",
    ErrorCode.FOREIGN_KEY_VIOLATION: "foreign key violation",
    ErrorCode.UNIQUE_VIOLATION: "unique constraint violation",
    ErrorCode.NOT_FOUND: "not found",
    ErrorCode.INVALID_OFFSET: "invalid offset",
    ErrorCode.DATABASE_ERROR: "database error",
    ErrorCode.INVALID_SIZE: "invalid size",
    ErrorCode.INVALID_UNIQUE: "invalid unique",
    ErrorCode.INVALID_OPTIONS: "invalid options",
    ErrorCode.OPERATION_UNSUPPORTED: "operation unsupported",
    ErrorCode.FOREIGN_KEYS_UNRESOLVED: "foreign keys unresolved",
    ErrorCode.DECLARATIVE_CONFIG: "invalid declarative configuration",
}
_STATUS = {
    ErrorCode.UNIQUE_VIOLATION: 409,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.DATABASE_ERROR: 500,
    ErrorCode.OPERATION_UNSUPPORTED: 405,
}


class StoreError(SekishoError):
    """A Kong-style database error: `{"code", "name", "message", "fields"}` on the Admin API."""

    def __init__(self, code: ErrorCode, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields

    def to_kong(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": int(self.code), "name": self.code.kong_name, "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        return body


class SchemaViolation(StoreError):
    """Validation failed; `fields` mirrors the structure of the input (Kong's format)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        flat = flatten_field_errors(fields)
        if len(flat) == 1:
            message = f"schema violation ({flat[0]})"
        else:
            message = f"{len(flat)} schema violations ({'; '.join(flat)})"
        super().__init__(ErrorCode.SCHEMA_VIOLATION, message, fields)


class DeclarativeError(StoreError):
    """A declarative configuration is invalid (Kong code 14)."""

    def __init__(self, fields: dict[str, Any], message: str | None = None) -> None:
        if message is None:
            message = f"declarative config is invalid: {_lua_like(fields)}"
        super().__init__(ErrorCode.DECLARATIVE_CONFIG, message, fields)


def flatten_field_errors(fields: Any, prefix: str = "") -> list[str]:
    """Turn Kong's nested field errors into `path: message` strings, sorted by path like Kong."""
    out: list[str] = []
    if isinstance(fields, dict):
        for key in sorted(fields, key=str):
            name = key if not prefix else f"{prefix}.{key}"
            value = fields[key]
            if key == "@entity" and isinstance(value, list):
                out.extend(f"{prefix + ': ' if prefix else ''}{item}" for item in value if item is not None)
            else:
                out.extend(flatten_field_errors(value, name))
    elif isinstance(fields, list):
        for index, value in enumerate(fields, start=1):
            if value is not None:
                out.extend(flatten_field_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    elif fields is not None:
        out.append(f"{prefix}: {fields}" if prefix else str(fields))
    return out


def _lua_like(value: Any) -> str:
    if isinstance(value, dict):
        inner = ",".join(f"{k}={_lua_like(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
        return "{" + inner + "}"
    if isinstance(value, list):
        return "{" + ",".join(_lua_like(v) for v in value) + "}"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
