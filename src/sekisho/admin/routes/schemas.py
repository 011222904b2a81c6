"""`GET /schemas/{entity}`, `POST /schemas/{entity}/validate` and `GET /schemas/plugins/{name}`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.body import read_body
from sekisho.admin.context import AdminContext
from sekisho.admin.endpoints import coerce_form
from sekisho.admin.errors import not_found
from sekisho.admin.forms import empty_strings_to_null
from sekisho.admin.responses import kong_json
from sekisho.schema import EntitySchema

__all__ = ["SchemaEndpoints"]

_SCOPES = ("consumer", "route", "service")


class SchemaEndpoints:
    def __init__(self, ctx: AdminContext) -> None:
        self.ctx = ctx

    def _schema(self, name: str) -> EntitySchema:
        schema = self.ctx.db.registry.get(name)
        if schema is None:
            raise not_found(f"No entity named '{name}'")
        return schema

    async def entity(self, request: Request) -> Response:
        return kong_json(self._schema(request.path_params["name"]).describe())

    async def validate(self, request: Request) -> Response:
        schema = self._schema(request.path_params["db_entity_name"])
        body = await read_body(request, self.ctx.max_body_size)
        data = coerce_form(schema, empty_strings_to_null(body.data), None) if body.is_form else dict(body.data)
        schema.insert(data)
        return kong_json({"message": "schema validation successful"})

    async def plugin_config(self, request: Request) -> Response:
        """Kong 2.x's deprecated `GET /plugins/schema/{name}`: the config record alone."""
        name = request.path_params["name"]
        cls = self.ctx.plugins.get(name)
        if cls is None:
            raise not_found(f"No plugin named '{name}'")
        return kong_json({"fields": cls.CONFIG.describe()["fields"]})

    async def plugin(self, request: Request) -> Response:
        name = request.path_params["name"]
        cls = self.ctx.plugins.get(name)
        plugins = self.ctx.db.registry.get("plugins")
        if cls is None or plugins is None:
            raise not_found(f"No plugin named '{name}'")
        rules = self.ctx.plugins.scope_rules(name)
        fields: list[dict[str, Any]] = []
        for field_name, fld in plugins.fields.items():
            if field_name == "config":
                described = cls.CONFIG.describe()
                described["required"] = True
            else:
                described = fld.describe()
            if field_name in _SCOPES and rules.get(f"no_{field_name}"):
                described["eq"] = None
            if field_name == "protocols":
                described["default"] = list(cls.PROTOCOLS)
            fields.append({field_name: described})
        return kong_json({"fields": fields})
