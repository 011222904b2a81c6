"""`build_admin_app`: the Kong-compatible Admin API as a Starlette application."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sekisho.admin.context import AdminContext
from sekisho.admin.endpoints import EndpointSpec, EntityEndpoints, Handler
from sekisho.admin.errors import AdminHTTPError, store_error_response, unexpected_error_response
from sekisho.admin.middleware import AdminHeaders
from sekisho.admin.responses import kong_json
from sekisho.admin.routes.certificates import by_sni
from sekisho.admin.routes.config import ConfigEndpoints
from sekisho.admin.routes.consumers import consumers_list
from sekisho.admin.routes.info import InfoEndpoints
from sekisho.admin.routes.schemas import SchemaEndpoints
from sekisho.admin.routes.tags import TagEndpoints
from sekisho.admin.routes.targets import TargetEndpoints
from sekisho.errors import ErrorCode, StoreError

__all__ = ["admin_endpoint_specs", "build_admin_app"]

log = logging.getLogger("sekisho.admin")

# Entities whose Admin API is hand-written rather than generated (targets live under their upstream).
_NOT_GENERATED = frozenset({"targets"})


def admin_endpoint_specs(ctx: AdminContext) -> list[EndpointSpec]:
    """Every Admin path in matching order: fixed endpoints first, then those generated from schemas."""
    specs: list[EndpointSpec] = []
    entities = EntityEndpoints(ctx)
    info = InfoEndpoints(ctx, lambda: [s.path for s in specs])
    schemas = SchemaEndpoints(ctx)
    tags = TagEndpoints(ctx)
    config = ConfigEndpoints(ctx)
    targets = TargetEndpoints(ctx, entities)
    specs.extend(
        [
            EndpointSpec("/", {"GET": info.root}),
            EndpointSpec("/status", {"GET": info.status}),
            EndpointSpec("/endpoints", {"GET": info.endpoints}),
            EndpointSpec("/plugins/enabled", {"GET": info.enabled_plugins}),
            EndpointSpec("/plugins/schema/{name}", {"GET": schemas.plugin_config}),
            EndpointSpec("/schemas/plugins/{name}", {"GET": schemas.plugin}),
            EndpointSpec("/schemas/{name}", {"GET": schemas.entity}),
            EndpointSpec("/schemas/{db_entity_name}/validate", {"POST": schemas.validate}),
            EndpointSpec("/tags", {"GET": tags.all_tags}),
            EndpointSpec("/tags/{tags}", {"GET": tags.by_tag}),
            EndpointSpec("/config", {"GET": config.get, "POST": config.post}),
        ]
    )
    if "targets" in ctx.db.registry and "upstreams" in ctx.db.registry:
        targets_path = "/upstreams/{upstreams}/targets"
        specs.extend(
            [
                EndpointSpec("/upstreams/{upstreams}/health", {"GET": targets.health}),
                EndpointSpec(targets_path, {"GET": targets.list, "POST": targets.create}),
                EndpointSpec(f"{targets_path}/all", {"GET": targets.list}),
                EndpointSpec(f"{targets_path}/{{targets}}/healthy", {"POST": targets.set_health}),
                EndpointSpec(f"{targets_path}/{{targets}}/unhealthy", {"POST": targets.set_health}),
                EndpointSpec(f"{targets_path}/{{targets}}/{{address}}/healthy", {"POST": targets.set_health}),
                EndpointSpec(f"{targets_path}/{{targets}}/{{address}}/unhealthy", {"POST": targets.set_health}),
                EndpointSpec(
                    f"{targets_path}/{{targets}}",
                    {"GET": targets.get, "PUT": targets.update, "PATCH": targets.update, "DELETE": targets.delete},
                ),
            ]
        )
    seen = {spec.path for spec in specs}
    for schema in ctx.db.registry:
        if not schema.generate_admin_api or schema.name in _NOT_GENERATED:
            continue
        for spec in entities.for_schema(schema):
            if spec.path in seen:
                continue
            seen.add(spec.path)
            if spec.path == "/consumers":
                spec = EndpointSpec(spec.path, {**spec.handlers, "GET": consumers_list(entities)})
            elif spec.path.startswith("/certificates/{certificates}"):
                spec = EndpointSpec(spec.path, by_sni(entities, spec.handlers))
            specs.append(spec)
    return specs


def _endpoint(path: str, handlers: Mapping[str, Handler]) -> Handler:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        handler = handlers[method]
        try:
            return await handler(request)
        except AdminHTTPError as exc:
            return exc.response()
        except StoreError as exc:
            if exc.code is ErrorCode.DATABASE_ERROR:
                # not the message (it may quote stored values) nor the URL (it may carry a credential)
                log.error("Admin API %s %s failed: database error", request.method, path)
            return store_error_response(exc)
        except Exception:
            # the route template, not the URL: paths can carry credentials (`/key-auths/{key}`)
            log.exception("Admin API %s %s failed", request.method, path)
            return unexpected_error_response()

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        return kong_json({"message": "Method not allowed"}, 405)
    if status == 404:
        return kong_json({"message": "Not found"}, 404)
    if 400 <= status < 500:
        return kong_json({"message": HTTPStatus(status).phrase}, status)
    return unexpected_error_response()


def build_admin_app(ctx: AdminContext) -> Starlette:
    """The Admin API over `ctx.db`. Serve it with uvicorn's own `Server` header off (`server_header=False`)."""
    routes: list[BaseRoute] = [
        Route(spec.path, _endpoint(spec.path, spec.handlers), methods=list(spec.handlers))
        for spec in admin_endpoint_specs(ctx)
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error},
        middleware=[Middleware(AdminHeaders, routes=routes, server=ctx.server_header)],
    )
