"""Shared field definitions with Kong's validations (kong/db/schema/typedefs.lua)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Final

from sekisho.schema.fields import Array, Boolean, Field, Integer, Set, String

__all__ = [
    "HTTP_PROTOCOLS",
    "PROTOCOLS",
    "auto_timestamp",
    "check_header_name",
    "check_host",
    "check_host_with_optional_port",
    "check_hostname_wildcard",
    "check_path",
    "check_utf8_name",
    "created_at",
    "header_name",
    "host",
    "ip_or_cidr",
    "is_ip",
    "name",
    "path",
    "port",
    "protocols",
    "tags",
    "timeout",
    "updated_at",
    "uuid_id",
]

PROTOCOLS: Final = ("http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss")
HTTP_PROTOCOLS: Final = ("http", "https")

_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_NAME_RE = re.compile(r"^[\w.\-~]+$", re.UNICODE)
_HEADER_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
_PATH_CHARS = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$")
_BAD_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _valid_hostname(value: str) -> bool:
    if not value or len(value) > 253:
        return False
    labels = value.rstrip(".").split(".")
    return all(_HOSTNAME_LABEL.match(label) for label in labels)


def _split_port(value: str) -> tuple[str, str | None]:
    if value.startswith("["):
        end = value.find("]")
        if end == -1:
            return value, None
        rest = value[end + 1 :]
        return value[: end + 1], rest[1:] if rest.startswith(":") else None
    if value.count(":") == 1:
        h, p = value.split(":")
        return h, p
    return value, None


def check_host(value: str) -> str | None:
    """A hostname or IP address, without a port."""
    h, p = _split_port(value)
    if p is not None:
        return "must not have a port"
    if is_ip(h) or _valid_hostname(h):
        return None
    return f"invalid hostname: {value}"


def _check_port_text(port: str) -> str | None:
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        return f"invalid port number: {port}"
    return None


def check_host_with_optional_port(value: str) -> str | None:
    h, p = _split_port(value)
    if p is not None and (err := _check_port_text(p)):
        return err
    if is_ip(h) or _valid_hostname(h):
        return None
    return f"invalid value: {value}"


def check_hostname_wildcard(value: str) -> str | None:
    """A route host: hostname with optional port and at most one `*` as leftmost or rightmost label."""
    h, p = _split_port(value)
    if p is not None and (err := _check_port_text(p)):
        return err
    if "*" in h:
        if h.count("*") > 1:
            return "only one wildcard must be specified"
        if not (h.startswith("*.") or h.endswith(".*")):
            return "invalid wildcard: must be placed at leftmost or rightmost label"
        rest = h[2:] if h.startswith("*.") else h[:-2]
        return None if _valid_hostname(rest) else f"invalid wildcard: {value}"
    if is_ip(h) or _valid_hostname(h):
        return None
    return f"invalid value: {value}"


def check_path(value: str) -> str | None:
    """A plain URI path (Kong's `typedefs.path`)."""
    if not value.startswith("/"):
        return "should start with: /"
    if "//" in value:
        return "must not have empty segments"
    if not _PATH_CHARS.match(value):
        return "invalid path: '" + value + "' (characters outside of the reserved list of RFC 3986 found)"
    if _BAD_PCT.search(value):
        return "invalid url-encoded value: '" + value + "'"
    return None


def check_utf8_name(value: str) -> str | None:
    if _NAME_RE.match(value):
        return None
    return "invalid value '" + value + "': it must only contain alphanumeric and '., -, _, ~' characters"


def check_header_name(value: str) -> str | None:
    return (
        None
        if _HEADER_RE.match(value)
        else f"bad header name '{value}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
    )


def check_ip_or_cidr(value: str) -> str | None:
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        return f"invalid ip or cidr range: '{value}'"
    return None


def _tag(value: str) -> str | None:
    if not value:
        return "length must be at least 1"
    if "," in value or "/" in value:
        return "invalid tag '" + value + "': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "invalid tag '" + value + "': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"
    return None


def uuid_id() -> Field:
    return String(uuid=True, auto=True, description="Unique identifier (UUID), generated when not given.")


def auto_timestamp(description: str) -> Field:
    return Integer(timestamp=True, auto=True, description=description)


def created_at() -> Field:
    return auto_timestamp("Unix epoch when the entity was created.")


def updated_at() -> Field:
    return auto_timestamp("Unix epoch when the entity was last updated.")


def tags() -> Field:
    return Set(String(validators=[_tag]), description="An optional set of strings for grouping and filtering.")


def name(description: str, *, unique: bool = True, required: bool = False) -> Field:
    return String(unique=unique, required=required, validators=[check_utf8_name], description=description)


def host(description: str, *, required: bool = False) -> Field:
    return String(required=required, validators=[check_host], description=description)


def port(description: str, *, default: int | None = None, required: bool = False) -> Field:
    kwargs: dict[str, Any] = {"default": default} if default is not None else {}
    return Integer(between=(0, 65535), required=required, description=description, **kwargs)


def path(description: str) -> Field:
    return String(validators=[check_path], description=description)


def timeout(description: str, default: int = 60000) -> Field:
    return Integer(between=(1, 2**31 - 2), default=default, description=description)


def header_name(description: str = "") -> Field:
    return String(validators=[check_header_name], description=description)


def ip_or_cidr(description: str = "") -> Field:
    return String(validators=[check_ip_or_cidr], description=description)


def protocols(description: str, default: list[str], allowed: tuple[str, ...] = PROTOCOLS) -> Field:
    return Set(String(one_of=list(allowed)), len_min=1, required=True, default=default, description=description)


def boolean(description: str, default: bool) -> Field:
    return Boolean(default=default, required=True, description=description)


def strings(description: str, **kwargs: Any) -> Field:
    return Array(String(), description=description, **kwargs)
