from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.postgres import temporary_database
from tests.integration.idp.harness import IdpThread, cognito_client, idp_thread


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[IdpThread]:
    with idp_thread(tmp_path / "idp") as running:
        yield running


@pytest.fixture
def cognito(idp: IdpThread) -> Any:
    return cognito_client(idp.url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pg_dsn(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite; for PostgreSQL the DSN of a database created for this test and dropped after it."""
    if request.param == "sqlite":
        yield None
        return
    with temporary_database("sekisho_portal") as dsn:
        if dsn is None:
            pytest.skip("PostgreSQL on 127.0.0.1:5432 is not reachable")
        yield dsn
