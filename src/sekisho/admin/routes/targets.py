"""Targets live under their upstream (kong/api/routes/upstreams.lua): `/upstreams/{u}/targets[/{t}]`,
where `{t}` is a target id or its `host:port`, plus the node-local health endpoints."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from sekisho.admin.context import AdminContext
from sekisho.admin.endpoints import EntityEndpoints, next_link, page_body, size_param
from sekisho.admin.errors import not_found
from sekisho.admin.query import MAX_PAGE_SIZE, list_options
from sekisho.admin.responses import kong_json
from sekisho.admin.writes import is_uuid
from sekisho.entities.upstreams import normalize_target
from sekisho.schema import EntitySchema
from sekisho.store.base import Row

__all__ = ["TargetEndpoints"]

HEALTHCHECKS_OFF = "HEALTHCHECKS_OFF"


class TargetEndpoints:
    def __init__(self, ctx: AdminContext, entities: EntityEndpoints) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.entities = entities

    @property
    def _targets(self) -> EntitySchema:
        return self.db.registry["targets"]

    @property
    def _upstreams(self) -> EntitySchema:
        return self.db.registry["upstreams"]

    async def _upstream(self, request: Request) -> Row:
        return await self.entities.select_or_404(self._upstreams, request.path_params["upstreams"])

    async def _all_targets(self, upstream: Row) -> list[Row]:
        rows: list[Row] = []
        offset: str | None = None
        while True:
            page = await self.db.page(
                "targets", size=MAX_PAGE_SIZE, offset=offset, foreign={"upstream": str(upstream["id"])}
            )
            rows.extend(page.data)
            if page.offset is None:
                return rows
            offset = page.offset

    async def _target(self, request: Request, upstream: Row) -> Row:
        ident = request.path_params["targets"]
        if is_uuid(ident):
            row = await self.db.select("targets", ident)
            if row is not None and (row.get("upstream") or {}).get("id") == upstream["id"]:
                return row
            raise not_found()
        wanted = normalize_target(ident)
        for row in await self._all_targets(upstream):
            if row.get("target") == wanted:
                return row
        raise not_found()

    async def list(self, request: Request) -> Response:
        upstream = await self._upstream(request)
        opts = list_options(request.query_params, with_tags=False)
        page = await self.db.page(
            "targets", size=opts.size, offset=opts.offset, foreign={"upstream": str(upstream["id"])}
        )
        path = f"/upstreams/{quote(request.path_params['upstreams'], safe='')}/targets"
        return kong_json(page_body(page, next_link(path, page, size_param(opts.raw_size))))

    async def create(self, request: Request) -> Response:
        upstream = await self._upstream(request)
        data = await self.entities.entity_data(request, self._targets)
        data["upstream"] = {"id": upstream["id"]}
        return kong_json(await self.entities.writer.insert(self._targets, data), 201)

    async def get(self, request: Request) -> Response:
        upstream = await self._upstream(request)
        return kong_json(await self._target(request, upstream))

    async def update(self, request: Request) -> Response:
        """PATCH, and PUT like Kong 2.8 (`update_existent_target`): only existing targets, merged."""
        upstream = await self._upstream(request)
        target = await self._target(request, upstream)
        data = await self.entities.entity_data(request, self._targets)
        data.setdefault("upstream", {"id": upstream["id"]})
        return kong_json(await self.entities.writer.update(self._targets, str(target["id"]), data))

    async def delete(self, request: Request) -> Response:
        upstream = await self._upstream(request)
        target = await self._target(request, upstream)
        await self.entities.writer.delete(self._targets, str(target["id"]))
        return Response(status_code=204)

    async def set_health(self, request: Request) -> Response:
        upstream = await self._upstream(request)
        target = await self._target(request, upstream)
        healthy = request.url.path.rstrip("/").endswith("/healthy")
        if self.ctx.health is not None:
            await self.ctx.health.set_target_health(upstream, target, request.path_params.get("address"), healthy)
        return Response(status_code=204)

    async def health(self, request: Request) -> Response:
        upstream = await self._upstream(request)
        if request.query_params.get("balancer_health") not in (None, "", "0", "false"):
            state = HEALTHCHECKS_OFF
            if self.ctx.health is not None:
                state = await self.ctx.health.balancer_health(upstream, await self._all_targets(upstream))
            data: Any = {"id": upstream["id"], "health": state}
            return kong_json({"data": data, "next": None, "node_id": self.ctx.node_id})
        opts = list_options(request.query_params, with_tags=False)
        page = await self.db.page(
            "targets", size=opts.size, offset=opts.offset, foreign={"upstream": str(upstream["id"])}
        )
        states: dict[str, str] = {}
        if self.ctx.health is not None:
            states = dict(await self.ctx.health.target_health(upstream, page.data))
        rows = [{**row, "health": states.get(str(row["id"]), HEALTHCHECKS_OFF)} for row in page.data]
        path = f"/upstreams/{quote(request.path_params['upstreams'], safe='')}/health"
        body = page_body(page, next_link(path, page, size_param(opts.raw_size)))
        body["data"] = rows
        body["node_id"] = self.ctx.node_id
        return kong_json(body)
