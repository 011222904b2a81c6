from __future__ import annotations

import signal
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
