"""The `services` entity (kong/db/schema/entities/services.lua)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sekisho.schema import Array, Boolean, EntitySchema, Foreign, Integer, String, typedefs as t

__all__ = ["SERVICES", "parse_service_url"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443, "ws": 80, "wss": 443}
_PATH_PROTOCOLS = ("http", "https", "ws", "wss")
_TLS_PROTOCOLS = ("https", "tls", "wss")


def parse_service_url(url: Any) -> dict[str, Any]:
    """Expand the write-only `url` shorthand into protocol, host, port and path."""
    if not isinstance(url, str):
        raise ValueError("expected a string")
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        raise ValueError("missing host in url")
    protocol = parts.scheme.lower()
    out: dict[str, Any] = {"protocol": protocol, "host": parts.hostname}
    try:
        explicit_port = parts.port
    except ValueError as exc:
        raise ValueError("invalid port number") from exc
    out["port"] = explicit_port if explicit_port is not None else _DEFAULT_PORTS.get(protocol, 80)
    out["path"] = parts.path or None
    return out


def _service_checks(row: dict[str, Any]) -> dict[str, Any] | None:
    errors: dict[str, Any] = {}
    protocol = row.get("protocol")
    if protocol not in _PATH_PROTOCOLS and row.get("path") is not None:
        errors["path"] = "value must be null"
    if protocol not in _TLS_PROTOCOLS:
        for key in ("client_certificate", "tls_verify", "tls_verify_depth", "ca_certificates"):
            if row.get(key) is not None:
                errors[key] = "value must be null"
    return errors or None


SERVICES = EntitySchema(
    name="services",
    endpoint_key="name",
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "name": t.name("The service name."),
        "retries": Integer(default=5, between=(0, 32767), description="Number of retries when proxying fails."),
        "protocol": String(
            required=True,
            default="http",
            one_of=["http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss"],
            description="Protocol used to talk to the upstream.",
        ),
        "host": t.host("Host of the upstream server (hostname, IP or upstream name).", required=True),
        "port": t.port("Upstream server port.", default=80, required=True),
        "path": t.path("Path used in requests to the upstream server."),
        "connect_timeout": t.timeout("Milliseconds to establish a connection to the upstream."),
        "write_timeout": t.timeout("Milliseconds between two successive writes to the upstream."),
        "read_timeout": t.timeout("Milliseconds between two successive reads from the upstream."),
        "tags": t.tags(),
        "client_certificate": Foreign("certificates", description="Certificate for TLS client auth upstream."),
        "tls_verify": Boolean(description="Whether to verify the upstream server's TLS certificate."),
        "tls_verify_depth": Integer(between=(0, 64), description="Maximum depth of the verification chain."),
        "ca_certificates": Array(
            String(uuid=True), description="CA certificate ids used to verify the upstream's certificate."
        ),
        "enabled": Boolean(default=True, required=True, description="Whether the service is active."),
    },
    checks=[_service_checks],
    shorthands={"url": parse_service_url},
)
