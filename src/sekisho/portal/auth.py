"""Portal authentication: who is visiting, by running the workspace's auth plugin (Kong's portal does the
same): `openid-connect` with its own session cookie, or `basic-auth`/`key-auth` followed by a portal session.

OIDC overrides, as Kong's portal applies them: at login `consumer_optional=true` (an unknown developer goes
to registration instead of a bare 403) and `login_action=upstream` (the portal decides where to redirect);
on pages only the session is accepted and the `email` claim is exposed for the registration form.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from sekisho.errors import SchemaViolation
from sekisho.oidc.session import CookieCodec, Session, SessionManager, SessionOptions
from sekisho.plugins.base import Plugin
from sekisho.portal.context import PortalContext
from sekisho.portal.developers import developer_for_consumer
from sekisho.portal.plugin_runner import AuthOutcome, run_access
from sekisho.portal.statuses import DeveloperStatus
from sekisho.portal.workspaces import EffectivePortal
from sekisho.store.base import Row

__all__ = ["REGISTRATION_EMAIL_HEADER", "PortalAuth", "Visitor"]

log = logging.getLogger("sekisho.portal.auth")

REGISTRATION_EMAIL_HEADER = "portal-registration-email"
# Developer emails are stored lower-cased, so the email claim is matched without regard to case.
_LOGIN_OVERRIDES: dict[str, Any] = {
    "consumer_optional": True,
    "login_action": "upstream",
    "by_username_ignore_case": True,
}
_PAGE_OVERRIDES: dict[str, Any] = {
    "consumer_optional": True,
    "by_username_ignore_case": True,
    "login_action": "upstream",
    "auth_methods": ["session"],
    "logout_query_arg": None,
    "logout_uri_suffix": None,
    "logout_post_arg": None,
    "unauthorized_redirect_uri": None,
    "forbidden_redirect_uri": None,
    "unexpected_redirect_uri": None,
    "upstream_headers_claims": ["email"],
    "upstream_headers_names": [REGISTRATION_EMAIL_HEADER],
}
_MAX_PREPARED = 32


@dataclass(slots=True)
class Visitor:
    """The result of authenticating a portal request."""

    developer: Row | None = None
    idp_email: str | None = None
    cookies: list[str] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.developer is not None and self.developer.get("status") == DeveloperStatus.APPROVED


class PortalAuth:
    """Prepared auth plugins per (plugin, effective config), and the portal session for basic/key auth."""

    def __init__(self, ctx: PortalContext) -> None:
        self.ctx = ctx
        self._instances: dict[str, Plugin[Any]] = {}
        self._prepared: dict[str, tuple[Plugin[Any], Any]] = {}

    # -- plugins ------------------------------------------------------------------------------------------
    def plugin(self, name: str, conf: Mapping[str, Any], overrides: Mapping[str, Any]) -> tuple[Plugin[Any], Any]:
        merged = {k: v for k, v in {**conf, **overrides}.items() if not _empty(v) or k in overrides}
        key = name + "\0" + json.dumps(merged, sort_keys=True, default=str)
        found = self._prepared.get(key)
        if found is not None:
            return found
        cls = self.ctx.plugins.get(name)
        if cls is None:
            raise SchemaViolation({"config": {"portal_auth": f"plugin '{name}' is not enabled on this node"}})
        processed, errors = cls.CONFIG.process(merged, None)
        if errors:
            raise SchemaViolation({"config": {"portal_auth_conf": errors}})
        plugin = self._instances.get(name)
        if plugin is None:
            plugin = self._instances[name] = cls()
        if len(self._prepared) >= _MAX_PREPARED:
            self._prepared.clear()
        found = (plugin, plugin.prepare(processed))
        self._prepared[key] = found
        return found

    async def run(self, portal: EffectivePortal, request: Request, *, login: bool) -> AuthOutcome:
        assert portal.auth is not None
        overrides: Mapping[str, Any] = {}
        if portal.auth == "openid-connect":
            overrides = _LOGIN_OVERRIDES if login else _PAGE_OVERRIDES
        plugin, prepared = self.plugin(portal.auth, portal.auth_conf, overrides)
        return await run_access(
            plugin,
            prepared,
            request,
            self.ctx.db,
            secret=self.ctx.cluster_secret,
            node_id=self.ctx.node_id,
            read_body=login,
        )

    async def close(self) -> None:
        """Close what the plugin instances hold (the OIDC plugin's outbound HTTP clients)."""
        for plugin in self._instances.values():
            close = getattr(plugin, "close", None)
            if close is not None:
                await close()
        self._instances.clear()
        self._prepared.clear()

    # -- visitors -------------------------------------------------------------------------------------------
    async def visitor(self, portal: EffectivePortal, request: Request) -> Visitor:
        """Who is looking at a page (never redirects; the pages decide)."""
        if not portal.auth:
            return Visitor()
        if portal.auth == "openid-connect":
            outcome = await self.run(portal, request, login=False)
            if outcome.exit is not None:
                return Visitor(cookies=_exit_cookies(outcome))
            developer = await developer_for_consumer(self.ctx.db, outcome.consumer)
            email = outcome.upstream_headers.get(REGISTRATION_EMAIL_HEADER)
            return Visitor(developer=developer, idp_email=email, cookies=outcome.cookies)
        manager = self.sessions(portal)
        session = await manager.open(request.cookies)
        if session is None:
            return Visitor()
        developer_id = session.data.get("developer")
        developer = await self.ctx.db.select("developers", developer_id) if isinstance(developer_id, str) else None
        return Visitor(developer=developer)

    # -- the basic-auth / key-auth portal session -------------------------------------------------------------
    def sessions(self, portal: EffectivePortal) -> SessionManager:
        conf = portal.session_conf
        secret = conf.get("secret")
        key = bytes(str(secret), "utf-8") if secret else self.ctx.derive_secret("portal-session:" + portal.workspace)
        name = conf.get("cookie_name") or "portal_session"
        if portal.workspace != "default" and name == "portal_session":
            name = f"{portal.workspace}_portal_session"
        options = SessionOptions(
            cookie_name=str(name),
            path=str(conf.get("cookie_path") or "/"),
            domain=conf.get("cookie_domain"),
            same_site=str(conf.get("cookie_samesite") or "Strict"),
            secure=conf.get("cookie_secure"),
            rolling_timeout=float(conf.get("cookie_lifetime") or 3600),
            idling_timeout=float(conf["cookie_idletime"]) if conf.get("cookie_idletime") else None,
        )
        return SessionManager(CookieCodec(key, purpose=b"sekisho-portal-session"), options)

    async def start_session(self, portal: EffectivePortal, developer: Row, *, secure: bool) -> list[str]:
        manager = self.sessions(portal)
        session: Session = manager.new({"developer": developer["id"]})
        return await manager.save(session, secure=secure)

    async def end_session(self, portal: EffectivePortal, request: Request, *, secure: bool) -> list[str]:
        manager = self.sessions(portal)
        session = await manager.open(request.cookies)
        return await manager.destroy(session, request.cookies, secure=secure)


def _empty(value: Any) -> bool:
    """Kong's portal treats empty arrays/objects in `portal_auth_conf` as unset (`login_tokens: {}`)."""
    return value is None or value == [] or value == {}


def _exit_cookies(outcome: AuthOutcome) -> list[str]:
    assert outcome.exit is not None
    headers = outcome.exit.headers or {}
    out: list[str] = list(outcome.cookies)
    for name, value in headers.items():
        if name.lower() == "set-cookie":
            out.extend([value] if isinstance(value, str) else list(value))
    return out
