"""Settings of `sekisho idp`: defaults < `SEKISHO_IDP_*` environment variables < command-line flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["DomainStyle", "IdpSettings"]

DomainStyle = str  # "path" (default) or "host"


@dataclass(frozen=True, slots=True)
class IdpSettings:
    host: str = "127.0.0.1"
    port: int = 9229
    # The https listener (self-signed certificate generated into data_dir); -1 disables it, 0 picks a free port.
    https_port: int = 9230
    data_dir: Path = field(default_factory=lambda: Path(".sekisho-idp"))
    # A postgres:// DSN, or a SQLite file path; empty means `<data_dir>/idp.sqlite3`.
    database: str = ""
    region: str = "us-east-1"
    # Base URL of the issuer (`<issuer_base>/<pool_id>`); empty means the http listener's own URL.
    issuer_base: str = ""
    # How discovery advertises hosted domains: "path" (`<base>/domains/<prefix>`) or "host"
    # (`http://<prefix>.auth.localhost:<port>`). Both forms are always served.
    domain_style: DomainStyle = "path"
    # Discovery without end_session_endpoint/revocation_endpoint, as Cognito served it before 2024.
    legacy_discovery: bool = False
    # Dev-only outbox page at /_outbox (verification codes). On by default: this IdP is for development.
    outbox_page: bool = True
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "no-reply@verificationemail.com"
    max_body_bytes: int = 1_048_576
    # Failed password attempts per user before sign-in is refused for `throttle_seconds`.
    max_failed_logins: int = 5
    throttle_seconds: int = 300

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> IdpSettings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"SEKISHO_IDP_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _coerce(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])
        return replace(cls(), **values)

    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def issuer(self, pool_id: str) -> str:
        return f"{(self.issuer_base or self.base_url()).rstrip('/')}/{pool_id}"

    def domain_url(self, prefix: str) -> str:
        if self.domain_style == "host":
            return f"http://{prefix}.auth.localhost:{self.port}"
        return f"{(self.issuer_base or self.base_url()).rstrip('/')}/domains/{prefix}"


_INTS = {"port", "https_port", "smtp_port", "max_body_bytes", "max_failed_logins", "throttle_seconds"}
_BOOLS = {"legacy_discovery", "outbox_page"}


def _coerce(name: str, raw: str) -> Any:
    if name in _INTS:
        return int(raw)
    if name in _BOOLS:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw
