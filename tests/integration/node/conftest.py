from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sekisho.node.demo import echo_app
from tests.helpers.asgi_server import serve_asgi
from tests.helpers.postgres import temporary_database
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


@pytest.fixture
def pg_database() -> Iterator[str]:
    """The name of a database created for this test (dropped after it)."""
    with temporary_database("sekisho_node") as dsn:
        if dsn is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
        yield dsn.rsplit("/", 1)[1]
