"""Configuration of `file-log` (Kong's field names and defaults)."""

from __future__ import annotations

from typing import Any

from sekisho.schema import Boolean, Map, Record, String

__all__ = ["CONFIG"]


def _not_supported(value: Any) -> str | None:
    return "custom_fields_by_lua is not supported by sekisho (it runs no Lua)" if value else None


CONFIG = Record(
    {
        "path": String(
            required=True,
            match=r"^[^\s*&%`][^*&%`]*[^\s*&%`]$",
            match_message="not a valid filename",
            description="File the JSON log lines are appended to; created (mode 0644) when missing.",
        ),
        "reopen": Boolean(
            required=True,
            default=False,
            description="Close and reopen the file for every request (useful with external log rotation).",
        ),
        "custom_fields_by_lua": Map(
            String(),
            String(),
            validators=[_not_supported],
            description="Kong evaluates Lua snippets into extra log fields; sekisho refuses any value here.",
        ),
    }
)
