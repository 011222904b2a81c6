from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.idp.flows import Seeded, seed_pool
from tests.integration.idp.harness import IdpThread, cognito_client, idp_thread


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[IdpThread]:
    with idp_thread(tmp_path / "idp") as running:
        yield running


@pytest.fixture
def cognito(idp: IdpThread) -> Any:
    return cognito_client(idp.url)


@pytest.fixture
def seeded(idp: IdpThread, cognito: Any) -> Seeded:
    return seed_pool(idp, cognito)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        yield client
