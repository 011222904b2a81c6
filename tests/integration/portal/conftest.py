from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.idp.harness import IdpThread, cognito_client, idp_thread


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[IdpThread]:
    with idp_thread(tmp_path / "idp") as running:
        yield running


@pytest.fixture
def cognito(idp: IdpThread) -> Any:
    return cognito_client(idp.url)


PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


async def _pg_execute(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_SERVER}/postgres", timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pg_dsn(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite; for PostgreSQL the DSN of a database created for this test and dropped after it."""
    if request.param == "sqlite":
        yield None
        return
    name = f"sekisho_portal_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
    except Exception:  # nothing listening, or asyncpg's own errors
        if os.environ.get("CI"):
            raise
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is not reachable")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
