"""Configuration of `rate-limiting` (Kong's field names and defaults; only the `local` policy)."""

from __future__ import annotations

from typing import Any

from sekisho.schema import Boolean, Integer, Number, Record, String, typedefs as t

__all__ = ["CONFIG", "LIMIT_BY", "PERIODS"]

PERIODS = ("second", "minute", "hour", "day", "month", "year")
LIMIT_BY = ("consumer", "credential", "ip", "service", "header", "path")


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _check(config: dict[str, Any]) -> dict[str, Any] | None:
    if all(config.get(p) is None for p in PERIODS):
        quoted = ", ".join(f"'config.{p}'" for p in PERIODS)
        return {"@entity": [f"at least one of these fields must be non-empty: {quoted}"]}
    for i, lower in enumerate(PERIODS):
        low = config.get(lower)
        if low is None:
            continue
        for upper in PERIODS[i + 1 :]:
            high = config.get(upper)
            if high is not None and high < low:
                return {
                    "@entity": [
                        f"The limit for {upper}({_fmt(high)}) cannot be lower than the limit for {lower}({_fmt(low)})"
                    ]
                }
    if config.get("sync_rate") != -1:
        return {"sync_rate": "only -1 (synchronous counting) is supported by sekisho"}
    if config.get("policy") == "redis" and not config.get("redis_host"):
        return {"redis_host": "required field missing"}
    if config.get("limit_by") == "header" and not config.get("header_name"):
        return {"header_name": "required field missing"}
    if config.get("limit_by") == "path" and not config.get("path"):
        return {"path": "required field missing"}
    return None


def _unsupported_server_name(value: str) -> str | None:
    return "not supported by sekisho: the Redis certificate is checked against redis_host"


def _period(name: str) -> Number:
    return Number(gt=0, description=f"Number of HTTP requests allowed per {name}.")


CONFIG = Record(
    {
        "second": _period("second"),
        "minute": _period("minute"),
        "hour": _period("hour"),
        "day": _period("day"),
        "month": _period("month"),
        "year": _period("year"),
        "limit_by": String(
            default="consumer",
            one_of=list(LIMIT_BY),
            description=(
                "What requests are counted by: `consumer`, `credential`, `ip`, `service`, `header` (the value of"
                " `header_name`) or `path` (requests to `path`); falls back to the client IP when it is unknown."
            ),
        ),
        "header_name": t.header_name("Header whose value identifies the caller when `limit_by` is `header`."),
        "path": t.path("Path counted when `limit_by` is `path`."),
        "policy": String(
            default="local",
            one_of=["local", "redis"],
            description=(
                "Where counters live: `local` (shared by the worker processes of this node) or `redis` (shared"
                " by every node). Kong's `cluster` policy is not supported."
            ),
        ),
        "fault_tolerant": Boolean(
            required=True,
            default=True,
            description=("When the counters cannot be read, proxy anyway (`true`) or answer `500` (`false`)."),
        ),
        "redis_host": t.host("Redis host (required with the `redis` policy)."),
        "redis_port": t.port("Redis port.", default=6379),
        "redis_username": String(description="Redis ACL username (Redis 6+); unset: the default user."),
        "redis_password": String(secret=True, referenceable=True, description="Redis password."),
        "redis_ssl": Boolean(required=True, default=False, description="Connect to Redis over TLS."),
        "redis_ssl_verify": Boolean(
            required=True, default=False, description="Verify the Redis server's TLS certificate and name."
        ),
        "redis_server_name": String(
            validators=[_unsupported_server_name],
            description="Not supported: Redis certificates are checked against `redis_host`.",
        ),
        "redis_timeout": Integer(
            between=(0, 2**31 - 2), default=2000, description="Redis connect and command timeout, in milliseconds."
        ),
        "redis_database": Integer(default=0, between=(0, 2**31 - 2), description="Redis database number."),
        "hide_client_headers": Boolean(
            required=True, default=False, description="Do not send the rate-limit headers to the client."
        ),
        "error_code": Number(default=429, gt=0, description="Status code answered when a limit is exceeded."),
        "error_message": String(
            default="API rate limit exceeded", description="Message answered when a limit is exceeded."
        ),
        "sync_rate": Number(
            required=True,
            default=-1,
            description="Seconds between counter synchronisations; only `-1` (synchronous) applies to `local`.",
        ),
    },
    checks=[_check],
)
