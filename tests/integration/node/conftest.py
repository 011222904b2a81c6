from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sekisho.node.demo import echo_app
from tests.helpers.asgi_server import serve_asgi
from tests.integration.node.node_process import Node


@pytest.fixture
async def echo_url() -> AsyncIterator[str]:
    async with serve_asgi(echo_app("echo")) as url:
        yield url


@pytest.fixture
def nodes() -> Iterator[list[Node]]:
    """Nodes a test started; killed at the end whatever happened."""
    started: list[Node] = []
    yield started
    for node in started:
        node.stop(signal.SIGKILL)


@pytest.fixture
def declarative_file(tmp_path: Path) -> Path:
    return tmp_path / "kong.yml"


def _postgres_or_skip() -> None:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        if os.environ.get("CI"):
            raise
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")


@pytest.fixture
def pg_database() -> Iterator[str]:
    _postgres_or_skip()
    import asyncpg

    name = f"sekisho_node_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
