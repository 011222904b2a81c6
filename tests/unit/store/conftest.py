from __future__ import annotations

from tests.contract.conftest import pg_session

__all__ = ["pg_session"]
