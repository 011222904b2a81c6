"""A real node with two worker processes: plugins configured through its Admin API, counters node-wide."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from sekisho.plugins.rate_limiting.shared import default_path
from tests.helpers.echo_upstream import EchoUpstream
from tests.integration.node.node_process import start_node


async def _wait_for_route(url: str) -> None:
    # Workers pick up Admin API changes asynchronously; wait (bounded) until a fresh connection is routed.
    for _ in range(300):
        async with httpx.AsyncClient() as client:
            if (await client.get(url)).status_code != 404:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never got routed")


async def _one_request(url: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as client:  # its own connection, so requests spread over the workers
        return await client.get(url, headers=headers)


async def test_rate_limit_is_node_wide_across_two_workers(tmp_path: Path) -> None:
    node = await start_node(tmp_path, workers=2)
    node_id = ""
    try:
        async with EchoUpstream() as echo, httpx.AsyncClient(base_url=node.admin) as admin:
            node_id = (await admin.get("/")).json()["node_id"]
            service = await admin.post("/services", data={"name": "echo", "url": f"http://127.0.0.1:{echo.port}"})
            assert service.status_code == 201, service.text
            route = await admin.post("/services/echo/routes", data={"name": "r", "paths[]": "/limited"})
            assert route.status_code == 201
            for plugin in (
                {"name": "key-auth"},
                {"name": "correlation-id", "config.echo_downstream": "true"},
                {"name": "rate-limiting", "config.hour": "10", "config.limit_by": "ip"},
            ):
                assert (await admin.post("/routes/r/plugins", data=plugin)).status_code == 201
            assert (await admin.post("/consumers", data={"username": "alice"})).status_code == 201
            assert (await admin.post("/consumers/alice/key-auth", data={"key": "alice-key"})).status_code == 201

            url = f"{node.proxy}/limited"
            await _wait_for_route(url)
            statuses: list[int] = []
            workers: set[str] = set()
            # The kernel decides which worker accepts a connection; send bursts (bounded) until both answered.
            for _ in range(10):
                responses = await asyncio.gather(*(_one_request(url, {"apikey": "alice-key"}) for _ in range(40)))
                statuses += [r.status_code for r in responses]
                # `uuid#counter` ids start with the uuid of the worker that answered.
                workers |= {r.headers["kong-request-id"].split("#")[0] for r in responses}
                if len(workers) == 2:
                    break
            assert len(workers) == 2, "the bursts should have reached both workers"
            # With both workers answering, per-worker counters would let more than 10 through; the node-wide
            # table lets exactly 10.
            assert statuses.count(200) == 10 and statuses.count(429) == len(statuses) - 10
    finally:
        node.stop()
        if node_id:
            default_path(node_id).unlink(missing_ok=True)
