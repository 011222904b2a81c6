from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.echo_upstream import EchoUpstream


@pytest.fixture
async def echo() -> AsyncIterator[EchoUpstream]:
    upstream = await EchoUpstream("echo").start()
    yield upstream
    await upstream.stop()
