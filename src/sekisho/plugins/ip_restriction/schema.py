"""Configuration of `ip-restriction` (Kong's field names and defaults)."""

from __future__ import annotations

from sekisho.schema import Array, Integer, Record, String, at_least_one_of, typedefs as t

__all__ = ["CONFIG"]


def _at_least_one_of_allow_or_deny(config: dict[str, object]) -> dict[str, object] | None:
    found = at_least_one_of("allow", "deny")(dict(config))
    if found is None:
        return None
    return {"@entity": ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]}


CONFIG = Record(
    {
        "allow": Array(
            t.ip_or_cidr(),
            description="IP addresses or CIDR ranges allowed in. Set at least one of `allow` and `deny`.",
        ),
        "deny": Array(
            t.ip_or_cidr(),
            description="IP addresses or CIDR ranges refused (checked before `allow`).",
        ),
        "status": Integer(between=(100, 599), description="HTTP status of refusals (default `403`)."),
        "message": String(description="Message in the body of refusals (default `Your IP address is not allowed`)."),
    },
    checks=[_at_least_one_of_allow_or_deny],
)
