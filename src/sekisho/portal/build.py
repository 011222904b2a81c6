"""`prepare_portal` and `build_portal`: what the composition root calls when `portal = on`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.applications import Starlette

from sekisho.errors import ConfigError, SchemaViolation
from sekisho.portal.api_app import build_api_app
from sekisho.portal.auth import PortalAuth
from sekisho.portal.context import PortalContext
from sekisho.portal.files import seed_files
from sekisho.portal.gui_app import build_gui_app
from sekisho.portal.workspaces import check_auth_conf, ensure_default_workspace

__all__ = ["PortalApps", "build_portal", "prepare_portal"]


@dataclass(slots=True)
class PortalApps:
    """The two ASGI apps (serve `gui` on `portal_gui_listen`, `api` on `portal_api_listen`) and their shared
    auth state; `await close()` on shutdown."""

    gui: Starlette
    api: Starlette
    auth: PortalAuth

    def __iter__(self) -> Iterator[Starlette]:
        """`gui_app, api_app = build_portal(ctx)`."""
        return iter((self.gui, self.api))

    async def close(self) -> None:
        await self.auth.close()


async def prepare_portal(ctx: PortalContext) -> None:
    """Create the `default` workspace and the seed files once (idempotent; safe on every start).

    The portal writes (developers, applications, keys), so like Kong's it needs a database: DB-less nodes
    (`database = off`) are refused with a `ConfigError` naming `portal`."""
    if ctx.db.read_only:
        raise ConfigError("portal", "the developer portal needs a database (sqlite or postgres), not database = off")
    settings = ctx.settings
    if settings.auth and settings.auth_conf is not None:
        try:
            check_auth_conf(ctx.plugins, settings.auth, json.dumps(dict(settings.auth_conf)))
        except SchemaViolation as exc:
            raise ConfigError("portal_auth_conf", exc.message.removeprefix("schema violation ")) from None
    await ensure_default_workspace(ctx.db, settings)
    await seed_files(ctx.db)


def build_portal(ctx: PortalContext) -> PortalApps:
    auth = PortalAuth(ctx)
    return PortalApps(gui=build_gui_app(ctx, auth), api=build_api_app(ctx, auth), auth=auth)
