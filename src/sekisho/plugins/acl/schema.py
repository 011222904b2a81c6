"""Configuration of `acl` (Kong's field names and defaults)."""

from __future__ import annotations

from typing import Any

from sekisho.schema import Array, Boolean, Record, String

__all__ = ["CONFIG"]


def _one_of_allow_or_deny(config: dict[str, Any]) -> dict[str, Any] | None:
    given = [name for name in ("allow", "deny") if config.get(name)]
    if len(given) == 2:
        return {"@entity": ["only one of these fields must be non-empty: 'config.allow', 'config.deny'"]}
    if not given:
        return {"@entity": ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]}
    return None


CONFIG = Record(
    {
        "allow": Array(
            String(),
            description="Groups allowed to use the service or route. Set exactly one of `allow` and `deny`.",
        ),
        "deny": Array(
            String(),
            description="Groups refused the service or route. Set exactly one of `allow` and `deny`.",
        ),
        "hide_groups_header": Boolean(
            required=True,
            default=False,
            description="When `true`, the `X-Consumer-Groups` header is not sent upstream.",
        ),
        "always_use_authenticated_groups": Boolean(
            required=True,
            default=False,
            description=(
                "Use the groups an authentication plugin put in `authenticated_groups` even when a"
                " consumer is authenticated (by default they are used only without a consumer or for the"
                " anonymous consumer); falls back to the consumer's groups when there are none."
            ),
        ),
    },
    checks=[_one_of_allow_or_deny],
)
