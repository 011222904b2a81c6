"""Workspaces and each portal's effective settings (workspace `config` over kong.conf)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sekisho.errors import ErrorCode, SchemaViolation, StoreError
from sekisho.plugins.registry import PluginRegistry
from sekisho.portal.context import PortalSettings
from sekisho.portal.entities import DEFAULT_META_FIELDS, decode_json_text
from sekisho.store.base import Database, Row

__all__ = [
    "DEFAULT_WORKSPACE",
    "EffectivePortal",
    "check_auth_conf",
    "effective_portal",
    "ensure_default_workspace",
    "load_workspace",
]

DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True, slots=True)
class EffectivePortal:
    """One workspace's portal, settings resolved."""

    workspace: str
    enabled: bool
    auth: str | None
    auth_conf: dict[str, Any]
    auto_approve: bool
    session_conf: dict[str, Any]
    meta_fields: list[dict[str, Any]]
    idp_provisioning: dict[str, Any] | None
    gui_url: str
    api_url: str

    @property
    def gui_base(self) -> str:
        return f"{self.gui_url}/{self.workspace}"

    @property
    def api_base(self) -> str:
        return f"{self.api_url}/{self.workspace}"


async def ensure_default_workspace(db: Database, settings: PortalSettings) -> Row:
    """The built-in `default` workspace; created on first start with `config.portal` from kong.conf."""
    row = await db.select("workspaces", DEFAULT_WORKSPACE)
    if row is not None:
        return row
    try:
        return await db.insert("workspaces", {"name": DEFAULT_WORKSPACE, "config": {"portal": settings.portal}})
    except StoreError as exc:
        if exc.code is not ErrorCode.UNIQUE_VIOLATION:
            raise
        # another node created it first
        found = await db.select("workspaces", DEFAULT_WORKSPACE)
        assert found is not None
        return found


async def load_workspace(db: Database, name: str) -> Row | None:
    if name == DEFAULT_WORKSPACE:
        return await db.select("workspaces", name)
    if not name or len(name) > 256:
        return None
    return await db.select("workspaces", name)


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def effective_portal(workspace: Row, settings: PortalSettings) -> EffectivePortal:
    config: Mapping[str, Any] = workspace.get("config") or {}
    auth = config.get("portal_auth") or settings.auth
    auth_conf = decode_json_text(config.get("portal_auth_conf"))
    if auth_conf is None:
        auth_conf = _dict(settings.auth_conf)
    session_conf = decode_json_text(config.get("portal_session_conf"))
    if session_conf is None:
        session_conf = _dict(settings.session_conf)
    auto = config.get("portal_auto_approve")
    meta_fields = decode_json_text(config.get("portal_developer_meta_fields") or DEFAULT_META_FIELDS)
    provisioning = decode_json_text(config.get("portal_idp_provisioning"))
    return EffectivePortal(
        workspace=str(workspace["name"]),
        enabled=bool(config.get("portal")) if config.get("portal") is not None else settings.portal,
        auth=auth or None,
        auth_conf=_dict(auth_conf),
        auto_approve=settings.auto_approve if auto is None else bool(auto),
        session_conf=_dict(session_conf),
        meta_fields=[f for f in (meta_fields or []) if isinstance(f, dict)],
        idp_provisioning=provisioning if isinstance(provisioning, dict) else None,
        gui_url=settings.gui_url,
        api_url=settings.portal_api_url,
    )


def check_auth_conf(plugins: PluginRegistry, auth: str | None, auth_conf_text: str | None) -> None:
    """Validate `portal_auth_conf` against the auth plugin's config schema (like Kong does on PATCH)."""
    if not auth or not auth_conf_text:
        return
    record = plugins.config_schema(auth)
    if record is None:
        raise SchemaViolation({"config": {"portal_auth": f"plugin '{auth}' is not enabled on this node"}})
    try:
        conf = json.loads(auth_conf_text)
    except ValueError:
        return  # the field validator reports it
    if not isinstance(conf, dict):
        return
    # empty arrays/objects mean "unset" in the portal (the seed's `"login_tokens": {}`)
    _, errors = record.process({k: v for k, v in conf.items() if v not in (None, [], {})}, None)
    if errors:
        raise SchemaViolation({"config": {"portal_auth_conf": errors}})
