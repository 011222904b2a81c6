from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.portal.harness import PortalThread, portal_thread
from tests.helpers.browser import chromium
from tests.integration.idp.harness import IdpThread, idp_thread


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[IdpThread]:
    with idp_thread(tmp_path / "idp") as running:
        yield running


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[PortalThread]:
    with portal_thread(tmp_path) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched
