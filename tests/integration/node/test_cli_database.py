"""CLI verbs over real databases: config parse/db_import/db_export, migrations, and nodes sharing a database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.integration.node.node_process import Node, node_env, sekisho, start_node

KONG_YML = """_format_version: "2.1"
services:
- name: example_service
  url: {url}
  routes:
  - name: mocking
    paths: [/mock]
"""


def test_config_init_and_parse(tmp_path: Path) -> None:
    env = node_env(tmp_path / "p")
    created = sekisho("config", "init", env=env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "kong.yml").is_file()
    parsed = sekisho("config", "parse", "kong.yml", env=env, cwd=tmp_path)
    assert parsed.returncode == 0, parsed.stderr
    assert parsed.stdout.strip() == "parse successful: kong.yml"
    again = sekisho("config", "init", env=env, cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr

    (tmp_path / "bad.yml").write_text('_format_version: "2.1"\nservices:\n- name: s\n  port: 99999999\n')
    bad = sekisho("config", "parse", "bad.yml", env=env, cwd=tmp_path)
    assert bad.returncode == 1
    assert "failed parsing declarative configuration" in bad.stderr
    assert "services" in bad.stderr


def test_sqlite_db_import_then_export_round_trip(tmp_path: Path) -> None:
    env = node_env(tmp_path / "p", database="sqlite")
    (tmp_path / "in.yml").write_text(KONG_YML.format(url="http://127.0.0.1:9/base"))
    imported = sekisho("config", "db_import", "in.yml", env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "import successful" in imported.stdout
    exported = sekisho("config", "db_export", "out.yml", env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "out.yml").read_text()
    assert "example_service" in text and "/mock" in text
    reparsed = sekisho("config", "parse", "out.yml", env=env, cwd=tmp_path)
    assert reparsed.returncode == 0, reparsed.stderr
    again = sekisho("config", "db_export", "out.yml", env=env, cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_db_import_refused_in_dbless_mode(tmp_path: Path) -> None:
    (tmp_path / "in.yml").write_text(KONG_YML.format(url="http://127.0.0.1:9/"))
    result = sekisho("config", "db_import", "in.yml", env=node_env(tmp_path / "p", database="off"), cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: database:" in result.stderr


# -- PostgreSQL ---------------------------------------------------------------------------------------------
@pytest.mark.postgres
def test_postgres_migrations_cycle(tmp_path: Path, pg_database: str) -> None:
    env = node_env(tmp_path / "p", database="postgres", pg_database=pg_database, pg_user="postgres")
    listed = sekisho("migrations", "list", env=env)
    assert listed.returncode == 3
    assert "needs bootstrapping" in listed.stdout
    refused = sekisho("start", env=env)
    assert refused.returncode == 1
    assert "Error: database:" in refused.stderr and "sekisho migrations bootstrap" in refused.stderr
    boot = sekisho("migrations", "bootstrap", env=env)
    assert boot.returncode == 0, boot.stderr
    assert "migrations executed" in boot.stdout
    listed = sekisho("migrations", "list", env=env)
    assert listed.returncode == 0
    assert "pending migrations: -" in listed.stdout
    reset = sekisho("migrations", "reset", "-y", env=env)
    assert reset.returncode == 0, reset.stderr
    assert sekisho("migrations", "list", env=env).returncode == 3


@pytest.mark.postgres
async def test_two_nodes_sharing_postgres_see_each_others_changes(
    tmp_path: Path, pg_database: str, nodes: list[Node], echo_url: str
) -> None:
    shared = {"database": "postgres", "pg_database": pg_database, "pg_user": "postgres", "db_update_frequency": "0.2"}
    boot = sekisho("migrations", "bootstrap", env=node_env(tmp_path / "boot", **shared))
    assert boot.returncode == 0, boot.stderr
    first = await start_node(tmp_path / "a", **shared)
    nodes.append(first)
    second = await start_node(tmp_path / "b", **shared)
    nodes.append(second)
    async with httpx.AsyncClient() as client:
        assert (await client.get(second.proxy + "/mock")).status_code == 404
        created = await client.post(first.admin + "/services", data={"name": "shared", "url": echo_url + "/from-a"})
        assert created.status_code == 201, created.text
        route = await client.post(first.admin + "/services/shared/routes", data={"paths[]": "/mock"})
        assert route.status_code == 201, route.text
        # The second node learns about it from the database's configuration version, not from node a.
        status = 404
        for _ in range(200):
            status = (await client.get(second.proxy + "/mock")).status_code
            if status == 200:
                break
            await asyncio.sleep(0.05)
        assert status == 200
        assert (await client.get(second.proxy + "/mock/x")).json()["path"] == "/from-a/x"


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.mark.postgres
async def test_start_waits_for_a_database_that_comes_up_later(
    tmp_path: Path, pg_database: str, nodes: list[Node]
) -> None:
    from tests.integration.node.node_process import free_port

    shared = {"database": "postgres", "pg_database": pg_database, "pg_user": "postgres"}
    boot = sekisho("migrations", "bootstrap", env=node_env(tmp_path / "boot", **shared))
    assert boot.returncode == 0, boot.stderr
    late_port = free_port()
    starting = asyncio.ensure_future(
        start_node(tmp_path / "n", cli_args=("--db-timeout", "60"), pg_port=str(late_port), **shared)
    )
    # The node is waiting: nothing listens on its pg_port yet.
    for _ in range(200):
        out = tmp_path / "n" / "node.out"
        if out.exists() and "waiting up to 60 s for the database" in out.read_text():
            break
        await asyncio.sleep(0.05)
    assert "waiting up to 60 s for the database" in (tmp_path / "n" / "node.out").read_text()

    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", 5432)
        await asyncio.gather(_forward(client_reader, upstream_writer), _forward(upstream_reader, client_writer))

    database_proxy = await asyncio.start_server(relay, "127.0.0.1", late_port)
    try:
        node = await asyncio.wait_for(starting, 90)
        nodes.append(node)
        async with httpx.AsyncClient() as client:
            assert (await client.get(node.admin + "/status")).json()["database"]["reachable"] is True
        # The relay runs on this loop: wait for the node in a thread so the loop keeps relaying.
        assert await asyncio.to_thread(node.stop) == 0
    finally:
        database_proxy.close()
