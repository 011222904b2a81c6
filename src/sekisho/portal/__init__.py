"""The developer portal (Kong Enterprise 2.8's Dev Portal): entities, Admin routes, Portal API and GUI.

Wiring (done by the composition root):
- register `PORTAL_ENTITIES` in the `EntityRegistry` after the plugin entities;
- wrap the Admin API: `with_portal_admin(admin_app, ctx)`;
- when `portal = on`: `gui_app, api_app = build_portal(ctx)` served on `portal_gui_listen` / `portal_api_listen`,
  after `await prepare_portal(ctx)` (creates the `default` workspace and seed files once).
"""

from __future__ import annotations

from sekisho.portal.context import PortalContext, PortalSettings
from sekisho.portal.entities import PORTAL_ENTITIES

__all__ = ["PORTAL_ENTITIES", "PortalContext", "PortalSettings", "build_portal", "prepare_portal", "with_portal_admin"]


def __getattr__(name: str) -> object:
    # the web layer loads on first use: importing the package (entities, settings) stays light
    if name in ("build_portal", "prepare_portal"):
        from sekisho.portal import build

        return getattr(build, name)
    if name == "with_portal_admin":
        from sekisho.portal.admin_api import with_portal_admin

        return with_portal_admin
    raise AttributeError(name)
