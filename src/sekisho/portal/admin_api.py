"""The portal's Admin API routes (`/developers`, `/workspaces`, `/files`, optionally under `/<workspace>`),
in front of the generated Admin API: `with_portal_admin(admin_app, ctx)` answers these paths and hands
every other request to `admin_app`."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp

from sekisho.admin.body import read_body
from sekisho.admin.errors import AdminHTTPError, store_error_response, unexpected_error_response
from sekisho.admin.query import list_options
from sekisho.admin.responses import kong_json
from sekisho.errors import ErrorCode, SchemaViolation, StoreError
from sekisho.portal import developers as devs
from sekisho.portal.content import declared_readable_by
from sekisho.portal.context import PortalContext
from sekisho.portal.entities import DEVELOPER_ROLES, DEVELOPERS, FILES, WORKSPACES
from sekisho.portal.files import with_checksum
from sekisho.portal.permissions import check_roles_exist, readable_roles
from sekisho.portal.statuses import DeveloperStatus
from sekisho.portal.workspaces import DEFAULT_WORKSPACE, check_auth_conf, load_workspace
from sekisho.store.base import Row

__all__ = ["with_portal_admin"]

log = logging.getLogger("sekisho.portal.admin")

Handler = Callable[[Request], Awaitable[Response]]


def _not_found(message: str = "Not found") -> AdminHTTPError:
    return AdminHTTPError(404, message)


class _PortalAdmin:
    def __init__(self, ctx: PortalContext) -> None:
        self.ctx = ctx
        self.db = ctx.db

    # -- plumbing -----------------------------------------------------------------------------------------
    def wrap(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                await self._check_workspace(request)
                return await handler(request)
            except AdminHTTPError as exc:
                return exc.response()
            except StoreError as exc:
                return store_error_response(exc)
            except Exception:
                log.exception("portal Admin API %s %s failed", request.method, request.scope.get("route_name", ""))
                return unexpected_error_response()

        return endpoint

    async def _check_workspace(self, request: Request) -> None:
        name = request.path_params.get("workspace")
        if name is None or name == DEFAULT_WORKSPACE:
            return
        if await load_workspace(self.db, name) is None:
            raise _not_found(f"Workspace '{name}' not found")
        # Data of non-default workspaces is not separated yet: only `default` holds developers and files.
        raise AdminHTTPError(501, f"Workspace '{name}' has no portal data in sekisho (only 'default' does)")

    async def _body(self, request: Request, coerce: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        body = await read_body(request, self.ctx.max_body_size)
        return coerce(body.data) if body.is_form else dict(body.data)

    # -- workspaces ---------------------------------------------------------------------------------------------
    async def list_workspaces(self, request: Request) -> Response:
        opts = list_options(request.query_params, with_tags=False)
        page = await self.db.page("workspaces", size=opts.size, offset=opts.offset)
        return kong_json({"data": page.data, "next": _next("/workspaces", page.offset)})

    async def create_workspace(self, request: Request) -> Response:
        data = _json_conf(await self._body(request, WORKSPACES.coerce_form))
        _check_conf(self.ctx, data.get("config"), None)
        return kong_json(await self.db.insert("workspaces", data), 201)

    async def get_workspace(self, request: Request) -> Response:
        return kong_json(await self._workspace(request))

    async def patch_workspace(self, request: Request) -> Response:
        row = await self._workspace(request)
        data = _json_conf(await self._body(request, WORKSPACES.coerce_form))
        if data.get("name") == row["name"]:
            data.pop("name")
        if row["name"] == DEFAULT_WORKSPACE and "name" in data:
            raise SchemaViolation({"name": "the default workspace cannot be renamed"})
        _check_conf(self.ctx, data.get("config"), row.get("config"))
        return kong_json(await self.db.update("workspaces", row["id"], data))

    async def delete_workspace(self, request: Request) -> Response:
        row = await self._workspace(request)
        if row["name"] == DEFAULT_WORKSPACE:
            raise AdminHTTPError(400, "Cannot delete default workspace")
        await self.db.delete("workspaces", row["id"])
        return Response(status_code=204)

    async def _workspace(self, request: Request) -> Row:
        name = request.path_params["ws"]
        row = await self.db.select("workspaces", name)
        if row is None:
            raise _not_found()
        return row

    # -- developers ---------------------------------------------------------------------------------------------
    async def list_developers(self, request: Request) -> Response:
        opts = list_options(request.query_params, with_tags=False)
        where: dict[str, Any] = {}
        raw_status = request.query_params.get("status")
        if raw_status is not None:
            try:
                where["status"] = int(raw_status)
            except ValueError:
                raise StoreError(
                    ErrorCode.INVALID_OPTIONS,
                    "invalid option (status: expected an integer)",
                    {"status": "expected an integer"},
                ) from None
        page = await self.db.page("developers", size=opts.size, offset=opts.offset, where=where or None)
        extra = f"&status={where['status']}" if where else ""
        if where:
            total = sum(1 for row in await self.db.all("developers") if row.get("status") == where["status"])
        else:
            total = await self.db.count("developers")
        return kong_json({"data": page.data, "next": _next("/developers", page.offset, extra), "total": total})

    async def create_developer(self, request: Request) -> Response:
        data = await self._body(request, DEVELOPERS.coerce_form)
        return kong_json(await devs.create_developer(self.db, data), 201)

    async def get_developer(self, request: Request) -> Response:
        return kong_json(await self._developer(request))

    async def patch_developer(self, request: Request) -> Response:
        row = await self._developer(request)
        data = await self._body(request, DEVELOPERS.coerce_form)
        if "status" in data and data["status"] not in (0, 1, 2, 3):
            raise SchemaViolation({"status": "expected one of: 0, 1, 2, 3"})
        return kong_json({"developer": await devs.update_developer(self.db, row, data)})

    async def delete_developer(self, request: Request) -> Response:
        row = await devs.find_developer(self.db, request.path_params["developer"])
        if row is not None:
            await devs.delete_developer(self.db, row)
        return Response(status_code=204)

    async def export_developers(self, request: Request) -> Response:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["Email", "Status"])
        for row in await self.db.all("developers"):
            writer.writerow([row["email"], DeveloperStatus.label(int(row["status"]))])
        return Response(out.getvalue(), media_type="text/csv")

    async def developer_applications(self, request: Request) -> Response:
        row = await self._developer(request)
        page = await self.db.page("applications", foreign={"developer": row["id"]})
        return kong_json({"data": page.data, "next": None})

    async def _developer(self, request: Request) -> Row:
        row = await devs.find_developer(self.db, request.path_params["developer"])
        if row is None:
            raise _not_found()
        return row

    # -- developer roles ------------------------------------------------------------------------------------------
    async def list_roles(self, request: Request) -> Response:
        opts = list_options(request.query_params, with_tags=False)
        page = await self.db.page("developer_roles", size=opts.size, offset=opts.offset)
        return kong_json({"data": page.data, "next": _next("/developers/roles", page.offset)})

    async def create_role(self, request: Request) -> Response:
        data = await self._body(request, DEVELOPER_ROLES.coerce_form)
        return kong_json(await self.db.insert("developer_roles", data), 201)

    async def get_role(self, request: Request) -> Response:
        return kong_json(await self._role(request))

    async def patch_role(self, request: Request) -> Response:
        row = await self._role(request)
        data = await self._body(request, DEVELOPER_ROLES.coerce_form)
        updated = await self.db.update("developer_roles", row["id"], data)
        if updated["name"] != row["name"]:
            await devs.rename_role(self.db, row["name"], updated["name"])
        return kong_json(updated)

    async def delete_role(self, request: Request) -> Response:
        row = await self.db.select("developer_roles", request.path_params["role"])
        if row is not None:
            await devs.remove_role(self.db, row["name"])
            await self.db.delete("developer_roles", row["id"])
        return Response(status_code=204)

    async def _role(self, request: Request) -> Row:
        row = await self.db.select("developer_roles", request.path_params["role"])
        if row is None:
            raise _not_found()
        return row

    # -- files ------------------------------------------------------------------------------------------------
    async def list_files(self, request: Request) -> Response:
        opts = list_options(request.query_params, with_tags=False)
        page = await self.db.page("files", size=opts.size, offset=opts.offset)
        return kong_json({"data": page.data, "next": _next("/files", page.offset)})

    async def _file_body(self, request: Request, path: str | None) -> dict[str, Any]:
        data = with_checksum(await self._body(request, FILES.coerce_form))
        path = path or data.get("path")
        if isinstance(path, str) and isinstance(data.get("contents"), str):
            declared = declared_readable_by(path, data["contents"])
            await check_roles_exist(self.db, readable_roles(declared), "contents")
        return data

    async def create_file(self, request: Request) -> Response:
        data = await self._file_body(request, None)
        return kong_json(await self.db.insert("files", data), 201)

    async def get_file(self, request: Request) -> Response:
        return kong_json(await self._file(request))

    async def patch_file(self, request: Request) -> Response:
        row = await self._file(request)
        data = await self._file_body(request, row["path"])
        return kong_json(await self.db.update("files", row["id"], data))

    async def put_file(self, request: Request) -> Response:
        path = request.path_params["path"]
        data = await self._file_body(request, path)
        data["path"] = path
        row = await self.db.select_by("files", "path", path)
        if row is None:
            return kong_json(await self.db.insert("files", data), 200)
        return kong_json(await self.db.upsert("files", row["id"], data))

    async def delete_file(self, request: Request) -> Response:
        row = await self.db.select_by("files", "path", request.path_params["path"])
        if row is not None:
            await self.db.delete("files", row["id"])
        return Response(status_code=204)

    async def _file(self, request: Request) -> Row:
        ident = request.path_params["path"]
        row = await self.db.select_by("files", "path", ident) or await _by_id(self, "files", ident)
        if row is None:
            raise _not_found()
        return row


async def _by_id(admin: _PortalAdmin, entity: str, ident: str) -> Row | None:
    import uuid

    try:
        uuid.UUID(ident)
    except ValueError:
        return None
    return await admin.db.select(entity, ident)


def _next(path: str, offset: str | None, extra: str = "") -> str | None:
    from urllib.parse import quote

    return None if offset is None else f"{path}?offset={quote(offset, safe='')}{extra}"


_JSON_TEXT_KEYS = ("portal_auth_conf", "portal_session_conf", "portal_developer_meta_fields", "portal_idp_provisioning")


def _json_conf(data: dict[str, Any]) -> dict[str, Any]:
    """Kong stores `portal_auth_conf`/`portal_session_conf` as JSON text; an object is serialized for it."""
    import json

    config = data.get("config")
    if isinstance(config, dict):
        for key in (
            "portal_auth_conf",
            "portal_session_conf",
            "portal_developer_meta_fields",
            "portal_idp_provisioning",
        ):
            if isinstance(config.get(key), dict | list):
                config[key] = json.dumps(config[key])
    return data


def _check_conf(ctx: PortalContext, patch: Any, existing: Any) -> None:
    if not isinstance(patch, dict):
        return
    merged = {**(existing or {}), **patch}
    auth = merged.get("portal_auth") or ctx.settings.auth
    conf = merged.get("portal_auth_conf")
    if isinstance(conf, str) and isinstance(auth, str):
        check_auth_conf(ctx.plugins, auth, conf)


def with_portal_admin(admin_app: ASGIApp, ctx: PortalContext) -> ASGIApp:
    """`admin_app` plus the portal's Admin routes (they win over generated ones with the same path)."""
    api = _PortalAdmin(ctx)
    w = api.wrap
    routes: list[Route] = []
    for prefix in ("", "/{workspace}"):
        routes += [
            Route(prefix + "/developers", w(api.list_developers), methods=["GET"]),
            Route(prefix + "/developers", w(api.create_developer), methods=["POST"]),
            Route(prefix + "/developers/export", w(api.export_developers), methods=["GET"]),
            Route(prefix + "/developers/roles", w(api.list_roles), methods=["GET"]),
            Route(prefix + "/developers/roles", w(api.create_role), methods=["POST"]),
            Route(prefix + "/developers/roles/{role}", w(api.get_role), methods=["GET"]),
            Route(prefix + "/developers/roles/{role}", w(api.patch_role), methods=["PATCH"]),
            Route(prefix + "/developers/roles/{role}", w(api.delete_role), methods=["DELETE"]),
            Route(prefix + "/developers/{developer}/applications", w(api.developer_applications), methods=["GET"]),
            Route(prefix + "/developers/{developer}", w(api.get_developer), methods=["GET"]),
            Route(prefix + "/developers/{developer}", w(api.patch_developer), methods=["PATCH"]),
            Route(prefix + "/developers/{developer}", w(api.delete_developer), methods=["DELETE"]),
            Route(prefix + "/files", w(api.list_files), methods=["GET"]),
            Route(prefix + "/files", w(api.create_file), methods=["POST"]),
            Route(prefix + "/files/{path:path}", w(api.get_file), methods=["GET"]),
            Route(prefix + "/files/{path:path}", w(api.patch_file), methods=["PATCH"]),
            Route(prefix + "/files/{path:path}", w(api.put_file), methods=["PUT"]),
            Route(prefix + "/files/{path:path}", w(api.delete_file), methods=["DELETE"]),
        ]
    routes += [
        Route("/workspaces", w(api.list_workspaces), methods=["GET"]),
        Route("/workspaces", w(api.create_workspace), methods=["POST"]),
        Route("/workspaces/{ws}", w(api.get_workspace), methods=["GET"]),
        Route("/workspaces/{ws}", w(api.patch_workspace), methods=["PATCH"]),
        Route("/workspaces/{ws}", w(api.delete_workspace), methods=["DELETE"]),
    ]
    # a first segment naming an Admin collection (`/services/files` is the service named "files") is no workspace
    taken = {schema.path for schema in ctx.db.registry} | {"schemas", "tags", "config", "status", "endpoints"}
    return _Dispatch(Router(routes=routes), admin_app, frozenset(taken))


class _Dispatch:
    """Portal paths (any method) go to the portal router; all other requests to the Admin API."""

    def __init__(self, router: Router, admin_app: ASGIApp, admin_collections: frozenset[str]) -> None:
        self.router = router
        self.admin_app = admin_app
        self.admin_collections = admin_collections

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and self._is_portal_path(scope.get("path", "")):
            await self.router(scope, receive, send)
            return
        await self.admin_app(scope, receive, send)

    def _is_portal_path(self, path: str) -> bool:
        parts = path.strip("/").split("/")
        if parts[0] in ("developers", "files", "workspaces"):
            return True
        return len(parts) >= 2 and parts[1] in ("developers", "files") and parts[0] not in self.admin_collections
