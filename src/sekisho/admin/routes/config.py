"""DB-less `GET /config` and `POST /config` (kong/api/routes/config.lua)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.body import read_body
from sekisho.admin.context import AdminContext, DeclarativeConfig
from sekisho.admin.errors import AdminHTTPError
from sekisho.admin.responses import kong_json

__all__ = ["ConfigEndpoints"]

_ONLY_DBLESS = "this endpoint is only available when Kong is configured to not use a database"


class ConfigEndpoints:
    def __init__(self, ctx: AdminContext) -> None:
        self.ctx = ctx
        self._loading = asyncio.Lock()

    def _declarative(self) -> DeclarativeConfig:
        if self.ctx.db.strategy != "off":
            raise AdminHTTPError(400, _ONLY_DBLESS)
        if self.ctx.declarative is None:
            raise RuntimeError("DB-less node without a declarative configuration service")
        return self.ctx.declarative

    async def get(self, request: Request) -> Response:
        declarative = self._declarative()
        return kong_json({"config": await declarative.export()})

    async def post(self, request: Request) -> Response:
        declarative = self._declarative()
        body = await read_body(request, self.ctx.max_body_size, allow_text=True)
        document = _document(body.data, body.text, body.is_form)
        if self._loading.locked():
            raise AdminHTTPError(429, "Currently loading previous configuration", headers={"Retry-After": "1"})
        async with self._loading:
            parsed = await declarative.parse(document)
            if request.query_params.get("check_hash") == "1" and parsed.config_hash == declarative.current_hash():
                return Response(status_code=304)
            await declarative.load(parsed)
        return kong_json(dict(parsed.entities), 201)


def _document(data: Mapping[str, Any], text: str | None, is_form: bool) -> str | Mapping[str, Any]:
    """The configuration: a decoded JSON document, the `config` field (text), or the raw body text."""
    if text is not None:
        if text.strip():
            return text
        raise AdminHTTPError(400, "expected a declarative configuration")
    if not is_form and "_format_version" in data:
        return data
    config = data.get("config")
    if isinstance(config, str) and config.strip():
        return config
    if isinstance(config, Mapping):
        return config
    raise AdminHTTPError(400, "expected a declarative configuration")
