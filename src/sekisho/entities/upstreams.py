"""The `upstreams` and `targets` entities (load balancing)."""

from __future__ import annotations

from typing import Any

from sekisho.schema import Array, EntitySchema, Foreign, Integer, Map, Number, Record, String, typedefs as t

__all__ = ["TARGETS", "UPSTREAMS", "normalize_target"]

_HASH_ON = ["none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture"]


def _statuses(default: list[int]) -> Array:
    return Array(Integer(between=(100, 999)), default=default, description="HTTP statuses counted.")


def _counter(description: str) -> Integer:
    return Integer(between=(0, 255), default=0, description=description)


_ACTIVE = Record(
    {
        "type": String(default="http", one_of=["tcp", "http", "https", "grpc", "grpcs"], description="Probe type."),
        "timeout": Number(default=1, description="Probe timeout in seconds."),
        "concurrency": Integer(default=10, between=(1, 2**31 - 1), description="Targets probed at once."),
        "http_path": t.path("Path probed."),
        "https_sni": String(description="SNI for https probes."),
        "https_verify_certificate": t.boolean("Verify the target's certificate on https probes.", True),
        "healthy": Record(
            {
                "interval": Number(default=0, between=(0, 65535), description="Seconds between probes (0 = off)."),
                "http_statuses": _statuses([200, 302]),
                "successes": _counter("Successes that mark a target healthy."),
            }
        ),
        "unhealthy": Record(
            {
                "interval": Number(default=0, between=(0, 65535), description="Seconds between probes (0 = off)."),
                "http_statuses": _statuses([429, 404, 500, 501, 502, 503, 504, 505]),
                "tcp_failures": _counter("TCP failures that mark a target unhealthy."),
                "timeouts": _counter("Timeouts that mark a target unhealthy."),
                "http_failures": _counter("HTTP failures that mark a target unhealthy."),
            }
        ),
    }
)
_ACTIVE.fields["http_path"].default = "/"
_ACTIVE.fields["headers"] = Map(String(), Array(String()), description="Extra probe headers.")

_PASSIVE = Record(
    {
        "type": String(default="http", one_of=["tcp", "http", "https", "grpc", "grpcs"], description="Traffic type."),
        "healthy": Record(
            {
                "http_statuses": _statuses(
                    [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]
                ),
                "successes": _counter("Successes that mark a target healthy."),
            }
        ),
        "unhealthy": Record(
            {
                "http_statuses": _statuses([429, 500, 503]),
                "tcp_failures": _counter("TCP failures that mark a target unhealthy."),
                "timeouts": _counter("Timeouts that mark a target unhealthy."),
                "http_failures": _counter("HTTP failures that mark a target unhealthy."),
            }
        ),
    }
)


def _check_upstream_name(value: str) -> str | None:
    err = t.check_host(value)
    if err is not None:
        return err
    if t.is_ip(value):
        return "Invalid name ('" + value + "'); no ip addresses allowed"
    return None


def _upstream_checks(row: dict[str, Any]) -> dict[str, Any] | None:
    errors: dict[str, Any] = {}
    if row.get("hash_on") == "header" and not row.get("hash_on_header"):
        errors["hash_on_header"] = "required field missing"
    if row.get("hash_fallback") == "header" and not row.get("hash_fallback_header"):
        errors["hash_fallback_header"] = "required field missing"
    if row.get("hash_on") == "cookie" and not row.get("hash_on_cookie"):
        errors["hash_on_cookie"] = "required field missing"
    if row.get("hash_on") == "none" and row.get("hash_fallback") not in (None, "none"):
        errors["hash_fallback"] = "expected one of: none"
    return errors or None


UPSTREAMS = EntitySchema(
    name="upstreams",
    endpoint_key="name",
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "name": String(
            required=True, unique=True, validators=[_check_upstream_name], description="Hostname services refer to."
        ),
        "algorithm": String(
            default="round-robin",
            one_of=["round-robin", "consistent-hashing", "least-connections", "latency"],
            description="Load-balancing algorithm.",
        ),
        "hash_on": String(default="none", one_of=_HASH_ON, description="What to hash on."),
        "hash_fallback": String(default="none", one_of=_HASH_ON, description="What to hash on when the first fails."),
        "hash_on_header": t.header_name("Header to hash on."),
        "hash_fallback_header": t.header_name("Header to hash on as fallback."),
        "hash_on_cookie": String(description="Cookie to hash on."),
        "hash_on_cookie_path": t.path("Cookie path."),
        "hash_on_query_arg": String(description="Query argument to hash on."),
        "hash_fallback_query_arg": String(description="Query argument to hash on as fallback."),
        "hash_on_uri_capture": String(description="Route regex capture to hash on."),
        "hash_fallback_uri_capture": String(description="Route regex capture to hash on as fallback."),
        "slots": Integer(default=10000, between=(10, 2**16), description="Slots in the load-balancer ring."),
        "healthchecks": Record(
            {
                "active": _ACTIVE,
                "passive": _PASSIVE,
                "threshold": Number(
                    default=0, between=(0, 100), description="Healthy percentage below which the upstream is down."
                ),
            }
        ),
        "tags": t.tags(),
        "host_header": String(validators=[t.check_host_with_optional_port], description="Host header sent upstream."),
        "client_certificate": Foreign("certificates", description="Certificate for TLS client auth."),
        "use_srv_name": t.boolean("Use the SRV record's name as Host.", False),
    },
    checks=[_upstream_checks],
)
UPSTREAMS.fields["hash_on_cookie_path"].default = "/"


def normalize_target(value: str) -> str:
    """Append Kong's default target port 8000 when none is given."""
    if value.startswith("["):
        return value if "]:" in value else f"{value}:8000"
    if value.count(":") == 1:
        return value
    if value.count(":") > 1:  # bare IPv6
        return f"[{value}]:8000"
    return f"{value}:8000"


def _check_target(value: str) -> str | None:
    err = t.check_host_with_optional_port(value)
    return None if err is None else f"Invalid target ('{value}'); not a valid hostname or ip address"


TARGETS = EntitySchema(
    name="targets",
    endpoint_key="target",
    admin_path="targets",
    fields={
        "id": t.uuid_id(),
        "created_at": Number(auto=True, description="Unix epoch (with milliseconds) when created."),
        "updated_at": Number(auto=True, description="Unix epoch (with milliseconds) when last updated."),
        "upstream": Foreign("upstreams", required=True, on_delete="cascade", description="Upstream of this target."),
        "target": String(required=True, validators=[_check_target], description="host[:port] (port 8000 by default)."),
        "weight": Integer(default=100, between=(0, 65535), description="Weight; 0 disables the target."),
        "tags": t.tags(),
    },
    cache_key=("upstream", "target"),
)
