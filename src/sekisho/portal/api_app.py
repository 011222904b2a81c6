"""The Portal API (Kong's Dev Portal API on `portal_api_listen`), every path under `/<workspace>`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sekisho.admin.body import read_body
from sekisho.admin.errors import AdminHTTPError, store_error_response
from sekisho.admin.responses import kong_json
from sekisho.errors import StoreError
from sekisho.portal import applications as apps
from sekisho.portal.auth import PortalAuth, Visitor
from sekisho.portal.content import declared_readable_by
from sekisho.portal.context import PortalContext
from sekisho.portal.developers import delete_developer, developer_for_consumer, update_developer
from sekisho.portal.permissions import access_for
from sekisho.portal.plugin_runner import exit_response
from sekisho.portal.registration import check_meta, parse_meta, register_developer
from sekisho.portal.statuses import DeveloperStatus
from sekisho.portal.workspaces import DEFAULT_WORKSPACE, EffectivePortal, effective_portal, load_workspace
from sekisho.store.base import Row

__all__ = ["PortalRequestError", "build_api_app", "resolve_portal"]

log = logging.getLogger("sekisho.portal.api")

_NO_CACHE = {"Cache-Control": "no-cache, no-store"}


class PortalRequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def resolve_portal(ctx: PortalContext, request: Request) -> EffectivePortal:
    """The workspace of the first path segment, with its portal enabled; else 404. Only `default` holds
    portal data so far, so other workspaces have no portal yet."""
    name = request.path_params.get("workspace", "")
    if name != DEFAULT_WORKSPACE:
        raise PortalRequestError(404, "Not found")
    workspace = await load_workspace(ctx.db, name)
    if workspace is None:
        raise PortalRequestError(404, "Not found")
    portal = effective_portal(workspace, ctx.settings)
    if not portal.enabled:
        raise PortalRequestError(404, "Not found")
    return portal


def _first(values: Any) -> str | None:
    if isinstance(values, list) and values and isinstance(values[0], str) and values[0]:
        return values[0]
    return values if isinstance(values, str) and values else None


def _with_cookies(response: Response, cookies: list[str]) -> Response:
    for cookie in cookies:
        response.headers.append("Set-Cookie", cookie)
    return response


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


class PortalApi:
    def __init__(self, ctx: PortalContext, auth: PortalAuth) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.auth = auth

    def wrap(self, handler: Callable[[Request, EffectivePortal], Awaitable[Response]]) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                portal = await resolve_portal(self.ctx, request)
                return await handler(request, portal)
            except PortalRequestError as exc:
                return kong_json({"message": exc.message}, exc.status)
            except AdminHTTPError as exc:
                return exc.response()
            except StoreError as exc:
                return store_error_response(exc)
            except Exception:
                log.exception("Portal API %s failed", request.method)
                return kong_json({"message": "An unexpected error occurred"}, 500)

        return endpoint

    async def _developer(self, request: Request, portal: EffectivePortal) -> tuple[Row, Visitor]:
        """The approved developer behind this request, else Kong's 401s."""
        if not portal.auth:
            raise PortalRequestError(401, "Unauthorized")
        visitor = await self.auth.visitor(portal, request)
        if visitor.developer is None:
            raise PortalRequestError(401, "Unauthorized")
        status = int(visitor.developer["status"])
        if status != DeveloperStatus.APPROVED:
            raise PortalRequestError(401, f"Unauthorized: Developer status: {DeveloperStatus.label(status)}")
        return visitor.developer, visitor

    async def _body(self, request: Request) -> dict[str, Any]:
        return dict((await read_body(request, self.ctx.max_body_size)).data)

    # -- login / logout --------------------------------------------------------------------------------------
    async def login(self, request: Request, portal: EffectivePortal) -> Response:
        if not portal.auth:
            raise PortalRequestError(404, "Not found")
        outcome = await self.auth.run(portal, request, login=True)
        if outcome.exit is not None:
            return exit_response(outcome.exit, [(k, v) for k, v in outcome.response_headers])
        developer = await developer_for_consumer(self.db, outcome.consumer)
        if portal.auth == "openid-connect":
            conf = portal.auth_conf
            if developer is None:
                target = f"{portal.gui_base}/register"
            elif developer["status"] == DeveloperStatus.UNVERIFIED:
                # no email verification with OIDC: normalized like Kong's portal
                new = DeveloperStatus.APPROVED if portal.auto_approve else DeveloperStatus.PENDING
                developer = await self.db.update("developers", developer["id"], {"status": int(new)})
                target = _first(conf.get("forbidden_redirect_uri")) or f"{portal.gui_base}/unauthorized"
                if new == DeveloperStatus.APPROVED:
                    target = _first(conf.get("login_redirect_uri")) or portal.gui_base
            elif developer["status"] != DeveloperStatus.APPROVED:
                target = _first(conf.get("forbidden_redirect_uri")) or f"{portal.gui_base}/unauthorized"
            else:
                target = _first(conf.get("login_redirect_uri")) or portal.gui_base
            response = RedirectResponse(target, status_code=302, headers=_NO_CACHE)
            return _with_cookies(response, outcome.cookies)
        if developer is None:
            return kong_json({"message": "Unauthorized"}, 401)
        status = int(developer["status"])
        if status != DeveloperStatus.APPROVED:
            return kong_json({"message": f"Unauthorized: Developer status: {DeveloperStatus.label(status)}"}, 401)
        cookies = await self.auth.start_session(portal, developer, secure=_secure(request))
        return _with_cookies(kong_json({"developer": developer}), cookies)

    async def logout(self, request: Request, portal: EffectivePortal) -> Response:
        """`DELETE /auth?session_logout=true` for basic-/key-auth portals (OIDC logs out with `GET ?logout=true`)."""
        if portal.auth == "openid-connect":
            outcome = await self.auth.run(portal, request, login=True)
            if outcome.exit is not None:
                return exit_response(outcome.exit, [(k, v) for k, v in outcome.response_headers])
            return Response(status_code=204)
        cookies = await self.auth.end_session(portal, request, secure=_secure(request))
        return _with_cookies(Response(status_code=204, headers=_NO_CACHE), cookies)

    # -- registration and the current developer ------------------------------------------------------------------
    async def register(self, request: Request, portal: EffectivePortal) -> Response:
        if not portal.auth:
            raise PortalRequestError(404, "Not found")
        developer = await register_developer(self.db, portal, await self._body(request))
        return kong_json({"developer": developer})

    async def me(self, request: Request, portal: EffectivePortal) -> Response:
        developer, visitor = await self._developer(request, portal)
        return _with_cookies(kong_json(developer), visitor.cookies)

    async def delete_me(self, request: Request, portal: EffectivePortal) -> Response:
        """A developer closes its own account (consumer, credentials, applications and keys go with it)."""
        developer, _ = await self._developer(request, portal)
        await delete_developer(self.db, developer)
        response = Response(status_code=204, headers=_NO_CACHE)
        if portal.auth != "openid-connect":
            _with_cookies(response, await self.auth.end_session(portal, request, secure=_secure(request)))
        return response

    async def patch_meta(self, request: Request, portal: EffectivePortal) -> Response:
        """`PATCH /developer/meta` with `{"meta": {...}}`: the registration fields, checked like at sign-up."""
        developer, _ = await self._developer(request, portal)
        body = await self._body(request)
        meta = parse_meta(body.get("meta"))
        check_meta(portal, meta)
        updated = await update_developer(self.db, developer, {"meta": meta})
        return kong_json({"developer": updated})

    async def meta_fields(self, request: Request, portal: EffectivePortal) -> Response:
        return kong_json(portal.meta_fields)

    # -- applications --------------------------------------------------------------------------------------------
    async def list_apps(self, request: Request, portal: EffectivePortal) -> Response:
        developer, _ = await self._developer(request, portal)
        return kong_json({"data": await apps.list_applications(self.db, developer), "next": None})

    async def create_app(self, request: Request, portal: EffectivePortal) -> Response:
        developer, _ = await self._developer(request, portal)
        app, credential = await apps.create_application(self.db, developer, await self._body(request))
        return kong_json({**app, "credentials": [credential]}, 201)

    async def _app(self, request: Request, portal: EffectivePortal) -> Row:
        developer, _ = await self._developer(request, portal)
        app = await apps.find_application(self.db, developer, request.path_params["app"])
        if app is None:
            raise PortalRequestError(404, "Not found")
        return app

    async def get_app(self, request: Request, portal: EffectivePortal) -> Response:
        return kong_json(await self._app(request, portal))

    async def patch_app(self, request: Request, portal: EffectivePortal) -> Response:
        app = await self._app(request, portal)
        return kong_json(await apps.update_application(self.db, app, await self._body(request)))

    async def delete_app(self, request: Request, portal: EffectivePortal) -> Response:
        await apps.delete_application(self.db, await self._app(request, portal))
        return Response(status_code=204)

    async def list_keys(self, request: Request, portal: EffectivePortal) -> Response:
        app = await self._app(request, portal)
        return kong_json({"data": await apps.application_keys(self.db, app), "next": None})

    async def issue_key(self, request: Request, portal: EffectivePortal) -> Response:
        app = await self._app(request, portal)
        return kong_json(await apps.issue_key(self.db, app), 201)

    async def delete_key(self, request: Request, portal: EffectivePortal) -> Response:
        app = await self._app(request, portal)
        if not await apps.delete_key(self.db, app, request.path_params["credential"]):
            raise PortalRequestError(404, "Not found")
        return Response(status_code=204)

    async def rotate_key(self, request: Request, portal: EffectivePortal) -> Response:
        app = await self._app(request, portal)
        new = await apps.rotate_key(self.db, app, request.path_params["credential"])
        if new is None:
            raise PortalRequestError(404, "Not found")
        return kong_json(new, 201)

    # -- files ------------------------------------------------------------------------------------------------------
    async def list_files(self, request: Request, portal: EffectivePortal) -> Response:
        visitor = await self.auth.visitor(portal, request) if portal.auth else Visitor()
        page = await self.db.page("files", size=1000)
        rows = [row for row in page.data if self._access(row, portal, visitor) == "ok"]
        return kong_json({"data": rows, "next": None})

    async def get_file(self, request: Request, portal: EffectivePortal) -> Response:
        row = await self.db.select_by("files", "path", request.path_params["path"])
        if row is None:
            raise PortalRequestError(404, "Not found")
        visitor = await self.auth.visitor(portal, request) if portal.auth else Visitor()
        access = self._access(row, portal, visitor)
        if access != "ok":
            raise PortalRequestError(
                401 if access == "login" else 403, "Unauthorized" if access == "login" else "Forbidden"
            )
        return kong_json(row)

    @staticmethod
    def _access(row: Row, portal: EffectivePortal, visitor: Visitor) -> str:
        """Files are public until they declare `readable_by` (Kong: public until a role is attached)."""
        declared = declared_readable_by(str(row["path"]), str(row["contents"]))
        return access_for(declared, auth=portal.auth, developer=visitor.developer, approved=visitor.approved)


def build_api_app(ctx: PortalContext, auth: PortalAuth | None = None) -> Starlette:
    api = PortalApi(ctx, auth or PortalAuth(ctx))
    w = api.wrap
    base = "/{workspace}"
    routes = [
        Route(base + "/auth", w(api.login), methods=["GET", "POST"]),
        Route(base + "/auth", w(api.logout), methods=["DELETE"]),
        Route(base + "/register", w(api.register), methods=["POST"]),
        Route(base + "/developer", w(api.me), methods=["GET"]),
        Route(base + "/developer", w(api.delete_me), methods=["DELETE"]),
        Route(base + "/developer/meta", w(api.patch_meta), methods=["PATCH"]),
        Route(base + "/developer/meta_fields", w(api.meta_fields), methods=["GET"]),
        Route(base + "/applications", w(api.list_apps), methods=["GET"]),
        Route(base + "/applications", w(api.create_app), methods=["POST"]),
        Route(base + "/applications/{app}", w(api.get_app), methods=["GET"]),
        Route(base + "/applications/{app}", w(api.patch_app), methods=["PATCH"]),
        Route(base + "/applications/{app}", w(api.delete_app), methods=["DELETE"]),
        Route(base + "/applications/{app}/credentials", w(api.list_keys), methods=["GET"]),
        Route(base + "/applications/{app}/credentials", w(api.issue_key), methods=["POST"]),
        Route(base + "/applications/{app}/credentials/{credential}", w(api.delete_key), methods=["DELETE"]),
        Route(base + "/applications/{app}/credentials/{credential}/rotate", w(api.rotate_key), methods=["POST"]),
        Route(base + "/files", w(api.list_files), methods=["GET"]),
        Route(base + "/files/{path:path}", w(api.get_file), methods=["GET"]),
    ]
    origins = [ctx.settings.gui_url, *ctx.settings.cors_origins]
    cors = Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Content-Type", "Authorization", "apikey"],
    )
    return Starlette(routes=routes, middleware=[cors])
