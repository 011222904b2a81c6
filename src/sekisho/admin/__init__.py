"""The Kong-compatible Admin API: a Starlette app whose CRUD endpoints are generated from entity schemas."""

from __future__ import annotations

from sekisho.admin.app import admin_endpoint_specs, build_admin_app
from sekisho.admin.context import AdminContext, DeclarativeConfig, HealthChecks, ParsedConfig, ServerCounters

__all__ = [
    "AdminContext",
    "DeclarativeConfig",
    "HealthChecks",
    "ParsedConfig",
    "ServerCounters",
    "admin_endpoint_specs",
    "build_admin_app",
]
