"""`PortalSettings` (the kong.conf portal keys) and `PortalContext` (what the portal apps need from a node)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sekisho.plugins.registry import PluginRegistry
from sekisho.store.base import Database

__all__ = ["PortalContext", "PortalSettings"]


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """kong.conf's portal keys; a workspace's `config` overrides the per-portal ones."""

    portal: bool = True
    gui_protocol: str = "http"
    gui_host: str = "127.0.0.1:8003"
    api_url: str | None = None
    auth: str | None = None
    auth_conf: Mapping[str, Any] | None = None
    auto_approve: bool = False
    session_conf: Mapping[str, Any] | None = None
    token_exp: int = 21600
    emails_from: str | None = None
    cors_origins: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Any) -> PortalSettings:
        """From a `sekisho.config.NodeConfig` (typed loosely so this module does not import the config)."""
        return cls(
            portal=bool(config.portal),
            gui_protocol=config.portal_gui_protocol,
            gui_host=config.portal_gui_host,
            api_url=config.portal_api_url or None,
            auth=config.portal_auth or None,
            auth_conf=config.portal_auth_conf,
            auto_approve=bool(config.portal_auto_approve),
            session_conf=config.portal_session_conf,
            token_exp=int(config.portal_token_exp),
            emails_from=config.portal_emails_from,
            cors_origins=tuple(config.portal_cors_origins),
        )

    @property
    def gui_url(self) -> str:
        return f"{self.gui_protocol}://{self.gui_host}"

    @property
    def portal_api_url(self) -> str:
        """`portal_api_url`, else the GUI's host on the Portal API's default port for the GUI's scheme."""
        if self.api_url:
            return self.api_url.rstrip("/")
        host = urlsplit(self.gui_url).hostname or "127.0.0.1"
        port = 8447 if self.gui_protocol == "https" else 8004
        return f"{self.gui_protocol}://{host}:{port}"


@dataclass(slots=True)
class PortalContext:
    """Everything `build_portal` needs. `cluster_secret` must be the same on every node (session sealing)."""

    db: Database
    plugins: PluginRegistry
    settings: PortalSettings
    cluster_secret: bytes
    node_id: str = ""
    max_body_size: int = 1024 * 1024
    extra: dict[str, Any] = field(default_factory=dict)

    def derive_secret(self, purpose: str) -> bytes:
        return hmac.new(self.cluster_secret, b"sekisho-derive:" + purpose.encode(), hashlib.sha256).digest()
