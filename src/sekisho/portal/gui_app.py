"""The Portal GUI (Kong's Dev Portal pages on `portal_gui_listen`): server-rendered with Jinja2.

Pages per workspace: home, API catalog, spec (Swagger UI from the `swagger-ui-bundle` package, no CDN),
login, register (prefilled with the IdP email for OIDC), account (applications and keys), unauthorized and
not found. Forms post back to the GUI itself; POSTs must come from the GUI's own origin.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from sekisho.errors import SchemaViolation, StoreError, flatten_field_errors
from sekisho.portal import applications as apps
from sekisho.portal.api_app import PortalRequestError, resolve_portal
from sekisho.portal.auth import PortalAuth, Visitor
from sekisho.portal.content import find_page
from sekisho.portal.context import PortalContext
from sekisho.portal.developers import developer_for_consumer
from sekisho.portal.files import SpecEntry, catalog, parse_spec
from sekisho.portal.permissions import access_for
from sekisho.portal.registration import register_developer
from sekisho.portal.statuses import DeveloperStatus
from sekisho.portal.workspaces import DEFAULT_WORKSPACE, EffectivePortal
from sekisho.store.base import Row

__all__ = ["build_gui_app"]

log = logging.getLogger("sekisho.portal.gui")

MAX_FORM_BYTES = 64 * 1024
_NO_STORE = {"Cache-Control": "no-store"}


def _swagger_ui_dir() -> str:
    import importlib

    bundle: Any = importlib.import_module("swagger_ui_bundle")  # ships no type information
    return str(bundle.swagger_ui_path)


def _timestamp(value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return datetime.datetime.fromtimestamp(value, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sekisho.portal", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.ChainableUndefined,
    )
    env.filters["timestamp"] = _timestamp
    return env


class _Forbidden(Exception):
    pass


class PortalGui:
    def __init__(self, ctx: PortalContext, auth: PortalAuth) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.auth = auth
        self.env = _environment()
        self.css = resources.files("sekisho.portal.templates").joinpath("portal.css").read_text(encoding="utf-8")

    # -- plumbing ---------------------------------------------------------------------------------------------
    def page(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                portal = await resolve_portal(self.ctx, request)
            except PortalRequestError:
                return self.not_found_plain()
            try:
                if request.method == "POST" and not _same_origin(request):
                    raise _Forbidden
                try:
                    visitor = await self.auth.visitor(portal, request)
                except SchemaViolation as exc:
                    # a portal_auth_conf the auth plugin refuses: pages stay readable, nobody is logged in
                    log.error("portal auth is misconfigured: %s", exc.message)
                    visitor = Visitor()
                response: Response = await handler(request, portal, visitor)
            except _Forbidden:
                return HTMLResponse("<h1>Forbidden</h1><p>Cross-site form submissions are refused.</p>", 403)
            except Exception:
                log.exception("portal page %s failed", request.method)
                return HTMLResponse("<h1>Something went wrong</h1>", 500)
            for cookie in visitor.cookies:
                response.headers.append("Set-Cookie", cookie)
            return response

        return endpoint

    def render(
        self, name: str, request: Request, portal: EffectivePortal, visitor: Visitor, status: int = 200, **values: Any
    ) -> HTMLResponse:
        template = self.env.get_template(name)
        context = {
            "title": values.pop("title", "Developer Portal"),
            "portal_name": "Developer Portal",
            "base": f"/{portal.workspace}",
            "workspace": portal.workspace,
            "auth": portal.auth,
            "developer": visitor.developer if visitor.approved else None,
            "login_url": f"{portal.api_base}/auth",
            "logout_url": f"/{portal.workspace}/logout",
            **values,
        }
        return HTMLResponse(template.render(context), status, headers=_NO_STORE)

    def not_found_plain(self) -> Response:
        return HTMLResponse("<h1>Page not found</h1>", 404)

    async def _form(self, request: Request) -> dict[str, str]:
        raw = await request.body()
        if len(raw) > MAX_FORM_BYTES:
            raise _Forbidden
        return {k: v for k, v in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)}

    # -- pages ------------------------------------------------------------------------------------------------------
    async def home(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        specs = await self._visible_specs(portal, visitor)
        return self.render("home.html", request, portal, visitor, title="Home", specs=specs)

    async def catalog(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        specs = await self._visible_specs(portal, visitor)
        return self.render("catalog.html", request, portal, visitor, title="Catalog", specs=specs)

    async def spec(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        entry = next((s for s in await catalog(self.db) if s.name == name), None)
        if entry is None:
            return self.render("not_found.html", request, portal, visitor, 404, title="Not found")
        denied = self._denied(entry.readable_by, portal, visitor)
        if denied is not None:
            return denied
        spec_url = f"/{portal.workspace}/documentation/{name}/spec.json"
        return self.render("spec.html", request, portal, visitor, title=entry.title, spec=entry, spec_url=spec_url)

    async def spec_json(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        entry = next((s for s in await catalog(self.db) if s.name == name), None)
        if entry is not None and self._denied(entry.readable_by, portal, visitor) is not None:
            return JSONResponse({"message": "Unauthorized"}, 401)
        row = await self.db.select_by("files", "path", entry.path) if entry else None
        doc = parse_spec(row["contents"]) if row else None
        if doc is None:
            return JSONResponse({"message": "Not found"}, 404)
        return JSONResponse(json.loads(json.dumps(doc, default=str)))

    async def login(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        if visitor.approved:
            return RedirectResponse(f"/{portal.workspace}/account", 303)
        return self.render("login.html", request, portal, visitor, title="Log in")

    async def login_post(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        """basic-auth / key-auth: the credentials go through the auth plugin like the Portal API's `/auth`."""
        if portal.auth not in ("basic-auth", "key-auth"):
            return RedirectResponse(f"/{portal.workspace}/login", 303)
        form = await self._form(request)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() not in (b"authorization", b"apikey")]
        if portal.auth == "basic-auth":
            pair = f"{form.get('email', '')}:{form.get('password', '')}".encode()
            headers.append((b"authorization", b"Basic " + base64.b64encode(pair)))
        else:
            headers.append((b"apikey", form.get("key", "").encode("utf-8", "replace")))
        scope = {**request.scope, "method": "GET", "headers": headers}
        outcome = await self.auth.run(portal, Request(scope), login=True)
        developer = await developer_for_consumer(self.db, outcome.consumer) if outcome.exit is None else None
        if developer is None:
            return self.render(
                "login.html", request, portal, visitor, 401, title="Log in", error="Invalid credentials."
            )
        if developer["status"] != DeveloperStatus.APPROVED:
            label = DeveloperStatus.label(int(developer["status"]))
            return self.render(
                "unauthorized.html", request, portal, visitor, 403, title="Not authorized", status_label=label
            )
        cookies = await self.auth.start_session(portal, developer, secure=request.url.scheme == "https")
        response = RedirectResponse(f"/{portal.workspace}/account", 303)
        for cookie in cookies:
            response.headers.append("Set-Cookie", cookie)
        return response

    async def logout(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        if portal.auth == "openid-connect":
            return RedirectResponse(f"{portal.api_base}/auth?logout=true", 303)
        response = RedirectResponse(f"/{portal.workspace}", 303)
        if portal.auth:
            for cookie in await self.auth.end_session(portal, request, secure=request.url.scheme == "https"):
                response.headers.append("Set-Cookie", cookie)
        return response

    async def register(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        if not portal.auth:
            return self.render("not_found.html", request, portal, visitor, 404, title="Not found")
        if visitor.developer is not None:
            target = "account" if visitor.approved else "unauthorized"
            return RedirectResponse(f"/{portal.workspace}/{target}", 303)
        return self._register_page(request, portal, visitor, form={})

    def _register_page(
        self,
        request: Request,
        portal: EffectivePortal,
        visitor: Visitor,
        *,
        form: dict[str, str],
        status: int = 200,
        error: str | None = None,
        registered: Row | None = None,
    ) -> Response:
        return self.render(
            "register.html",
            request,
            portal,
            visitor,
            status,
            title="Sign up",
            meta_fields=portal.meta_fields,
            idp_email=visitor.idp_email if visitor.developer is None else None,
            provisioning=bool(portal.idp_provisioning) and portal.auth == "openid-connect",
            form=form,
            error=error,
            registered=registered,
        )

    async def register_post(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        if not portal.auth:
            return self.render("not_found.html", request, portal, visitor, 404, title="Not found")
        form = await self._form(request)
        data: dict[str, Any] = {"email": form.get("email", "")}
        # with an IdP session, the email is the IdP's (the field is read-only for that reason)
        if portal.auth == "openid-connect" and visitor.idp_email:
            data["email"] = visitor.idp_email
        data["meta"] = {k.removeprefix("meta."): v for k, v in form.items() if k.startswith("meta.")}
        for secret_field in ("password", "key"):
            if form.get(secret_field):
                data[secret_field] = form[secret_field]
        try:
            developer = await register_developer(self.db, portal, data)
        except StoreError as exc:
            safe = {k: v for k, v in form.items() if k not in ("password", "key")}
            return self._register_page(request, portal, visitor, form=safe, status=400, error=_describe(exc))
        return self._register_page(request, portal, visitor, form={}, registered=developer)

    async def unauthorized(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        label = DeveloperStatus.label(int(visitor.developer["status"])) if visitor.developer else None
        if label == "APPROVED":
            label = None
        return self.render("unauthorized.html", request, portal, visitor, title="Not authorized", status_label=label)

    # -- account -----------------------------------------------------------------------------------------------------
    def _require(self, portal: EffectivePortal, visitor: Visitor) -> Row | Response:
        if visitor.developer is None:
            return RedirectResponse(f"/{portal.workspace}/login", 303)
        if not visitor.approved:
            return RedirectResponse(f"/{portal.workspace}/unauthorized", 303)
        return visitor.developer

    async def account(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        developer = self._require(portal, visitor)
        if isinstance(developer, Response):
            return developer
        return await self._account_page(request, portal, visitor, developer)

    async def _account_page(
        self,
        request: Request,
        portal: EffectivePortal,
        visitor: Visitor,
        developer: Row,
        *,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
    ) -> Response:
        items = [
            {"app": app, "credentials": await apps.application_keys(self.db, app)}
            for app in await apps.list_applications(self.db, developer)
        ]
        return self.render(
            "account.html",
            request,
            portal,
            visitor,
            status,
            title="Account",
            applications=items,
            error=error,
            notice=notice,
        )

    async def create_app(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        developer = self._require(portal, visitor)
        if isinstance(developer, Response):
            return developer
        form = await self._form(request)
        data = {"name": form.get("name", "").strip(), "description": form.get("description") or None}
        try:
            await apps.create_application(self.db, developer, data)
        except StoreError as exc:
            return await self._account_page(request, portal, visitor, developer, status=400, error=_describe(exc))
        return RedirectResponse(f"/{portal.workspace}/account", 303)

    async def app_action(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        developer = self._require(portal, visitor)
        if isinstance(developer, Response):
            return developer
        app = await apps.find_application(self.db, developer, request.path_params["app"])
        if app is None:
            return self.render("not_found.html", request, portal, visitor, 404, title="Not found")
        action = request.path_params["action"]
        key_id = request.path_params.get("key")
        try:
            if action == "delete" and key_id is None:
                await apps.delete_application(self.db, app)
            elif action == "keys":
                await apps.issue_key(self.db, app)
            elif action == "rotate" and key_id:
                await apps.rotate_key(self.db, app, key_id)
            elif action == "delete" and key_id:
                await apps.delete_key(self.db, app, key_id)
            else:
                return self.render("not_found.html", request, portal, visitor, 404, title="Not found")
        except StoreError as exc:
            return await self._account_page(request, portal, visitor, developer, status=400, error=_describe(exc))
        return RedirectResponse(f"/{portal.workspace}/account", 303)

    async def content_page(self, request: Request, portal: EffectivePortal, visitor: Visitor) -> Response:
        """Admin-managed pages (`content/<path>.txt`), guarded by their `readable_by`."""
        page = await find_page(self.db, request.path_params["page"])
        if page is None:
            return self.render("not_found.html", request, portal, visitor, 404, title="Not found")
        denied = self._denied(page.readable_by, portal, visitor)
        if denied is not None:
            return denied
        return self.render("content.html", request, portal, visitor, title=page.title, page=page)

    def _denied(self, readable_by: Any, portal: EffectivePortal, visitor: Visitor) -> Response | None:
        access = access_for(readable_by, auth=portal.auth, developer=visitor.developer, approved=visitor.approved)
        if access == "login":
            return RedirectResponse(f"/{portal.workspace}/login", 303)
        if access == "forbidden":
            return RedirectResponse(f"/{portal.workspace}/unauthorized", 303)
        return None

    async def _visible_specs(self, portal: EffectivePortal, visitor: Visitor) -> list[SpecEntry]:
        return [s for s in await catalog(self.db) if self._denied(s.readable_by, portal, visitor) is None]

    async def css_file(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    async def not_found(self, request: Request, exc: Exception) -> Response:
        workspace = request.url.path.strip("/").split("/")[0] or DEFAULT_WORKSPACE
        request.scope.setdefault("path_params", {})["workspace"] = workspace
        try:
            portal = await resolve_portal(self.ctx, request)
        except PortalRequestError:
            return self.not_found_plain()
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return self.render("not_found.html", request, portal, Visitor(), status, title="Not found")


def _describe(exc: StoreError) -> str:
    if isinstance(exc, SchemaViolation) and exc.fields:
        return "; ".join(flatten_field_errors(exc.fields))
    if exc.fields:
        return "; ".join(flatten_field_errors(exc.fields))
    return exc.message


def _same_origin(request: Request) -> bool:
    """Form posts must come from this GUI (defence against cross-site request forgery)."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return False
        origin = "/".join(referer.split("/", 3)[:3])
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def build_gui_app(ctx: PortalContext, auth: PortalAuth | None = None) -> Starlette:
    gui = PortalGui(ctx, auth or PortalAuth(ctx))
    p = gui.page
    ws = "/{workspace}"

    async def root(request: Request) -> Response:
        return RedirectResponse(f"/{DEFAULT_WORKSPACE}", 302)

    routes: list[BaseRoute] = [
        Route("/", root, methods=["GET"]),
        Route(ws + "/assets/portal.css", gui.css_file, methods=["GET"]),
        Mount(ws + "/assets/swagger-ui", app=StaticFiles(directory=_swagger_ui_dir()), name="swagger-ui"),
        Route(ws, p(gui.home), methods=["GET"]),
        Route(ws + "/", p(gui.home), methods=["GET"]),
        Route(ws + "/documentation", p(gui.catalog), methods=["GET"]),
        Route(ws + "/documentation/{name}", p(gui.spec), methods=["GET"]),
        Route(ws + "/documentation/{name}/spec.json", p(gui.spec_json), methods=["GET"]),
        Route(ws + "/login", p(gui.login), methods=["GET"]),
        Route(ws + "/login", p(gui.login_post), methods=["POST"]),
        Route(ws + "/logout", p(gui.logout), methods=["GET"]),
        Route(ws + "/register", p(gui.register), methods=["GET"]),
        Route(ws + "/register", p(gui.register_post), methods=["POST"]),
        Route(ws + "/unauthorized", p(gui.unauthorized), methods=["GET"]),
        Route(ws + "/account", p(gui.account), methods=["GET"]),
        Route(ws + "/account/applications", p(gui.create_app), methods=["POST"]),
        Route(ws + "/account/applications/{app}/{action}", p(gui.app_action), methods=["POST"]),
        Route(ws + "/account/applications/{app}/keys/{key}/{action}", p(gui.app_action), methods=["POST"]),
        Route(ws + "/{page:path}", p(gui.content_page), methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: gui.not_found})
