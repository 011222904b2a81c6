"""The seed walkthrough's container environment, start-time options, and graceful draining."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.asgi_server import serve_asgi
from tests.integration.node.node_process import Node, node_env, sekisho, start_node
from tests.unit.config.test_config import SEED_DOCKER_ENV


def test_seed_docker_environment_passes_check(tmp_path: Path) -> None:
    env = node_env(tmp_path / "p")
    env.update(SEED_DOCKER_ENV)
    env["KONG_LICENSE_DATA"] = '{"license": {"payload": "x"}}'
    env["KONG_PG_PASSWORD"] = "hunter2"
    result = sekisho("check", "--vv", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout
    assert "admin_listen = 0.0.0.0:8001 , 0.0.0.0:8444 ssl" in result.stdout
    assert "hunter2" not in result.stdout and '"payload"' not in result.stdout
    assert "Warning" not in result.stderr


async def test_dbless_from_declarative_config_string(tmp_path: Path, nodes: list[Node], echo_url: str) -> None:
    document = f'{{"_format_version": "3.0", "services": [{{"name": "s", "url": "{echo_url}/str", '
    document += '"routes": [{"name": "r", "paths": ["/inline"]}]}]}'
    node = await start_node(tmp_path, database="off", declarative_config_string=document)
    nodes.append(node)
    async with httpx.AsyncClient() as client:
        response = await client.get(node.proxy + "/inline")
    assert response.status_code == 200
    assert response.json()["path"] == "/str"


async def test_admin_access_log_records_requests_without_secrets(tmp_path: Path, nodes: list[Node]) -> None:
    node = await start_node(tmp_path, admin_access_log="logs/admin.log")
    nodes.append(node)
    async with httpx.AsyncClient() as client:
        await client.get(node.admin + "/services?size=5", headers={"Authorization": "Bearer admin-token-xyz"})
    assert node.stop() == 0
    lines = (node.prefix / "logs" / "admin.log").read_text().splitlines()
    assert any('"GET /services?size=5 HTTP/1.1" 200' in line for line in lines)
    assert "admin-token-xyz" not in "\n".join(lines)


async def test_quit_lets_an_in_flight_request_finish(tmp_path: Path, nodes: list[Node]) -> None:
    release = asyncio.Event()
    arrived = asyncio.Event()

    async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        arrived.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"done"})

    async with serve_asgi(slow) as upstream:
        node = await start_node(tmp_path)
        nodes.append(node)
        async with httpx.AsyncClient(base_url=node.admin) as admin:
            assert (await admin.post("/services", data={"name": "slow", "url": upstream})).status_code == 201
            assert (await admin.post("/services/slow/routes", data={"paths[]": "/slow"})).status_code == 201
        async with httpx.AsyncClient(timeout=30) as client:
            pending = asyncio.ensure_future(client.get(node.proxy + "/slow"))
            await asyncio.wait_for(arrived.wait(), 10)
            quitter = asyncio.ensure_future(asyncio.to_thread(sekisho, "quit", "-p", str(node.prefix), "-t", "30"))
            for _ in range(100):  # the node logs the signal once it starts draining
                if "received SIGQUIT" in node.output():
                    break
                await asyncio.sleep(0.05)
            assert "received SIGQUIT" in node.output()
            assert node.process.poll() is None  # still draining the request
            release.set()
            response = await pending
            assert response.status_code == 200
            assert response.text == "done"
            result = await quitter
        assert result.returncode == 0, result.stderr
        assert node.process.wait(10) == 0


@pytest.mark.postgres
async def test_start_run_migrations_bootstraps_postgres(tmp_path: Path, nodes: list[Node], pg_database: str) -> None:
    node = await start_node(
        tmp_path, cli_args=("--run-migrations",), database="postgres", pg_database=pg_database, pg_user="postgres"
    )
    nodes.append(node)
    async with httpx.AsyncClient() as client:
        assert (await client.get(node.admin + "/status")).json()["database"]["reachable"] is True
        created = await client.post(node.admin + "/consumers", data={"username": "alice"})
        assert created.status_code == 201, created.text
    assert node.stop() == 0
