"""CRUD endpoints generated from entity schemas, the way kong/api/endpoints.lua generates them.

For an entity `E` with a foreign key `f` to `P`:

    /E                      GET (paginated list), POST (201)
    /E/{E}                  GET, PUT (upsert), PATCH, DELETE (204, also when absent)
    /E/{E}/f                GET, PUT, PATCH, DELETE   the referenced P of one E
    /P/{P}/E                GET, POST                 the E rows of one P (POST sets `f`)
    /P/{P}/E/{E}            GET, PUT, PATCH, DELETE   one E, only when it belongs to that P

`E` in a path is `schema.admin_path` (Kong's `admin_api_name`), under a parent
`schema.admin_nested_path` (Kong's `admin_api_nested_name`); `{E}` is an id or the endpoint key.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.body import read_body
from sekisho.admin.context import AdminContext
from sekisho.admin.errors import method_not_allowed, not_found
from sekisho.admin.forms import empty_strings_to_null
from sekisho.admin.query import list_options
from sekisho.admin.responses import kong_json
from sekisho.admin.writes import EntityWriter, is_uuid
from sekisho.errors import ErrorCode, StoreError
from sekisho.schema import EntitySchema, Foreign
from sekisho.store.base import Page, Row

__all__ = ["EndpointSpec", "EntityEndpoints", "Handler", "collection_path", "nested_name"]

Handler = Callable[[Request], Awaitable[Response]]

COLLECTION_METHODS = ("GET", "POST")
ENTITY_METHODS = ("GET", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """One generated path: its Kong-style template (`/services/{services}/routes`), methods and handlers."""

    path: str
    handlers: Mapping[str, Handler]


def collection_path(schema: EntitySchema) -> str:
    return schema.path


def nested_name(schema: EntitySchema) -> str:
    nested: str | None = getattr(schema, "admin_nested_path", None)
    return nested or schema.path


def next_link(path: str, page: Page, extra: str = "") -> str | None:
    if page.offset is None:
        return None
    return f"{path}?offset={quote(page.offset, safe='')}{extra}"


def size_param(raw_size: str | None) -> str:
    """`&size=N` so that following `next` keeps the page size (Kong drops it on nested lists)."""
    return "" if raw_size is None else "&size=" + quote(raw_size, safe="")


def page_body(page: Page, next_path: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"data": page.data, "next": next_path}
    if page.offset is not None:
        body["offset"] = page.offset
    return body


class EntityEndpoints:
    """Builds the handlers for every entity schema of a node."""

    def __init__(self, ctx: AdminContext) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.writer = EntityWriter(ctx.db)

    # -- shared steps -------------------------------------------------------------------------------
    async def entity_data(self, request: Request, schema: EntitySchema, existing: Row | None = None) -> dict[str, Any]:
        """The request body as entity data: forms are typed with the schema like Kong's `infer`."""
        body = await read_body(request, self.ctx.max_body_size)
        if not body.is_form:
            return dict(body.data)
        return coerce_form(schema, empty_strings_to_null(body.data), existing)

    def ident(self, request: Request, schema: EntitySchema) -> str:
        """The `{E}` path parameter, refused like Kong when it can be neither an id nor an endpoint key."""
        return checked_ident(schema, request.path_params[schema.name])

    async def select_or_404(self, schema: EntitySchema, ident: str) -> Row:
        row = await self.db.select(schema.name, checked_ident(schema, ident))
        if row is None:
            raise not_found()
        return row

    # -- /E ---------------------------------------------------------------------------------------------
    def list_all(self, schema: EntitySchema, where: Mapping[str, Any] | None = None) -> Handler:
        async def handler(request: Request) -> Response:
            opts = list_options(request.query_params, with_tags="tags" in schema.fields)
            page = await self.db.page(
                schema.name,
                size=opts.size,
                offset=opts.offset,
                tags=opts.tags,
                tags_match=opts.tags_match,
                where=where,
            )
            extra = ""
            if opts.raw_tags is not None:
                extra += "&tags=" + quote(opts.raw_tags, safe="")
            extra += size_param(opts.raw_size)
            return kong_json(page_body(page, next_link("/" + collection_path(schema), page, extra)))

        return handler

    def create(self, schema: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            data = await self.entity_data(request, schema)
            return kong_json(await self.writer.insert(schema, data), 201)

        return handler

    # -- /E/{E} -----------------------------------------------------------------------------------------
    def get_one(self, schema: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            return kong_json(await self.select_or_404(schema, self.ident(request, schema)))

        return handler

    def replace(self, schema: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            data = await self.entity_data(request, schema)
            return kong_json(await self.writer.upsert(schema, self.ident(request, schema), data))

        return handler

    def patch(self, schema: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            ident = self.ident(request, schema)
            existing = await self.db.select(schema.name, ident) if schema.dynamic_fields else None
            data = await self.entity_data(request, schema, existing)
            return kong_json(await self.writer.update(schema, ident, data))

        return handler

    def delete(self, schema: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            await self.writer.delete(schema, self.ident(request, schema))
            return Response(status_code=204)

        return handler

    # -- /P/{P}/E ---------------------------------------------------------------------------------------
    def list_nested(self, schema: EntitySchema, field_name: str, parent: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            parent_key = request.path_params[parent.name]
            parent_row = await self.select_or_404(parent, parent_key)
            opts = list_options(request.query_params, with_tags=False)
            page = await self.db.page(
                schema.name, size=opts.size, offset=opts.offset, foreign={field_name: str(parent_row["id"])}
            )
            path = f"/{collection_path(parent)}/{quote(parent_key, safe='')}/{nested_name(schema)}"
            return kong_json(page_body(page, next_link(path, page, size_param(opts.raw_size))))

        return handler

    def create_nested(self, schema: EntitySchema, field_name: str, parent: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            parent_row = await self.select_or_404(parent, request.path_params[parent.name])
            data = await self.entity_data(request, schema)
            data[field_name] = {"id": parent_row["id"]}
            return kong_json(await self.writer.insert(schema, data), 201)

        return handler

    # -- /P/{P}/E/{E} -----------------------------------------------------------------------------------
    async def _child_under(self, request: Request, schema: EntitySchema, field: str, parent_row: Row) -> Row | None:
        """`{E}` within its parent: an id, the endpoint key, or `admin_nested_key` (an ACL's `group`)."""
        ident = request.path_params[schema.name]
        key = schema.admin_nested_key
        if key is not None and not is_uuid(ident):
            foreign = {field: str(parent_row["id"])}
            page = await self.db.page(schema.name, size=1, foreign=foreign, where={key: ident})
            return page.data[0] if page.data else None
        child = await self.db.select(schema.name, checked_ident(schema, ident))
        if child is None or (child.get(field) or {}).get("id") != parent_row["id"]:
            return None
        return child

    async def _owned_child(self, request: Request, schema: EntitySchema, field_name: str, parent: EntitySchema) -> Row:
        parent_row = await self.select_or_404(parent, request.path_params[parent.name])
        child = await self._child_under(request, schema, field_name, parent_row)
        if child is None:
            raise not_found()
        return child

    def get_nested(self, schema: EntitySchema, field_name: str, parent: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            return kong_json(await self._owned_child(request, schema, field_name, parent))

        return handler

    def replace_nested(self, schema: EntitySchema, field_name: str, parent: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            parent_row = await self.select_or_404(parent, request.path_params[parent.name])
            data = await self.entity_data(request, schema)
            data[field_name] = {"id": parent_row["id"]}
            ident = request.path_params[schema.name]
            key = schema.admin_nested_key
            if key is None or is_uuid(ident):
                return kong_json(await self.writer.upsert(schema, self.ident(request, schema), data))
            # by the nested key: that row of this parent is replaced, or a new one created; the URL's key wins
            data[key] = ident
            existing = await self._child_under(request, schema, field_name, parent_row)
            row_id = str(existing["id"]) if existing is not None else str(uuid.uuid4())
            return kong_json(await self.writer.upsert(schema, row_id, data))

        return handler

    def patch_nested(self, schema: EntitySchema, field_name: str, parent: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            child = await self._owned_child(request, schema, field_name, parent)
            data = await self.entity_data(request, schema, child)
            data.setdefault(field_name, child[field_name])
            return kong_json(await self.writer.update(schema, str(child["id"]), data))

        return handler

    def delete_nested(self, schema: EntitySchema, field_name: str, parent: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            child = await self._owned_child(request, schema, field_name, parent)
            await self.writer.delete(schema, str(child["id"]))
            return Response(status_code=204)

        return handler

    # -- /E/{E}/f ---------------------------------------------------------------------------------------
    async def _referenced_id(self, request: Request, schema: EntitySchema, field_name: str) -> tuple[Row, str | None]:
        row = await self.select_or_404(schema, self.ident(request, schema))
        ref = row.get(field_name)
        return row, (str(ref["id"]) if isinstance(ref, dict) and ref.get("id") else None)

    def get_referenced(self, schema: EntitySchema, field_name: str, target: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            _, ref_id = await self._referenced_id(request, schema, field_name)
            if ref_id is None:
                raise not_found()
            return kong_json(await self.select_or_404(target, ref_id))

        return handler

    def replace_referenced(self, schema: EntitySchema, field_name: str, target: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            row, ref_id = await self._referenced_id(request, schema, field_name)
            data = await self.entity_data(request, target)
            if ref_id is not None:
                return kong_json(await self.writer.upsert(target, ref_id, data))
            created = await self.writer.upsert(target, str(uuid.uuid4()), data)
            await self.writer.update(schema, str(row["id"]), {field_name: {"id": created["id"]}})
            return kong_json(created)

        return handler

    def patch_referenced(self, schema: EntitySchema, field_name: str, target: EntitySchema) -> Handler:
        async def handler(request: Request) -> Response:
            _, ref_id = await self._referenced_id(request, schema, field_name)
            if ref_id is None:
                raise not_found()
            existing = await self.db.select(target.name, ref_id) if target.dynamic_fields else None
            data = await self.entity_data(request, target, existing)
            return kong_json(await self.writer.update(target, ref_id, data))

        return handler

    def delete_referenced(self, schema: EntitySchema, field_name: str) -> Handler:
        async def handler(request: Request) -> Response:
            _, ref_id = await self._referenced_id(request, schema, field_name)
            if ref_id is None:
                raise not_found()
            raise method_not_allowed()

        return handler

    # -- generation -------------------------------------------------------------------------------------
    def for_schema(self, schema: EntitySchema) -> list[EndpointSpec]:
        base = collection_path(schema)
        specs = [
            EndpointSpec(f"/{base}", {"GET": self.list_all(schema), "POST": self.create(schema)}),
            EndpointSpec(
                f"/{base}/{{{schema.name}}}",
                {
                    "GET": self.get_one(schema),
                    "PUT": self.replace(schema),
                    "PATCH": self.patch(schema),
                    "DELETE": self.delete(schema),
                },
            ),
        ]
        for field_name, fld in schema.foreign_keys().items():
            specs.extend(self.for_foreign_key(schema, field_name, fld))
        return specs

    def for_foreign_key(self, schema: EntitySchema, field_name: str, fld: Foreign) -> list[EndpointSpec]:
        parent = self.db.registry.get(fld.reference)
        if parent is None:
            return []
        base = collection_path(schema)
        parent_base = f"/{collection_path(parent)}/{{{parent.name}}}/{nested_name(schema)}"
        return [
            EndpointSpec(
                f"/{base}/{{{schema.name}}}/{field_name}",
                {
                    "GET": self.get_referenced(schema, field_name, parent),
                    "PUT": self.replace_referenced(schema, field_name, parent),
                    "PATCH": self.patch_referenced(schema, field_name, parent),
                    "DELETE": self.delete_referenced(schema, field_name),
                },
            ),
            EndpointSpec(
                parent_base,
                {
                    "GET": self.list_nested(schema, field_name, parent),
                    "POST": self.create_nested(schema, field_name, parent),
                },
            ),
            EndpointSpec(
                f"{parent_base}/{{{schema.name}}}",
                {
                    "GET": self.get_nested(schema, field_name, parent),
                    "PUT": self.replace_nested(schema, field_name, parent),
                    "PATCH": self.patch_nested(schema, field_name, parent),
                    "DELETE": self.delete_nested(schema, field_name, parent),
                },
            ),
        ]


def checked_ident(schema: EntitySchema, ident: str) -> str:
    if schema.endpoint_key is None and not is_uuid(ident):
        raise StoreError(
            ErrorCode.INVALID_PRIMARY_KEY,
            f"invalid primary key: '{{id=\"{ident}\"}}'",
            {"id": "expected a valid UUID"},
        )
    return ident


def coerce_form(schema: EntitySchema, data: dict[str, Any], existing: Row | None) -> dict[str, Any]:
    """Type form strings with the schema; dynamic fields (a plugin's `config`) are chosen with the row's
    other values, taken from the existing row when the form does not repeat them (PATCH)."""
    if existing is None or not schema.dynamic_fields:
        return schema.coerce_form(data)
    context = {k: v for k, v in existing.items() if k not in data and k not in schema.dynamic_fields}
    coerced = schema.coerce_form({**context, **data})
    return {k: v for k, v in coerced.items() if k in data}
