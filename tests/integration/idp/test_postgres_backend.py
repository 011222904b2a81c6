"""The whole IdP on PostgreSQL: the seed page's flow and concurrent sign-ups, through the real servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest
from botocore.exceptions import ClientError

from tests.integration.idp.flows import PASSWORD, exchange_code, login_for_code, query_of, seed_pool
from tests.integration.idp.harness import IdpThread, cognito_client, idp_thread

pytestmark = pytest.mark.postgres
PG = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_idp(tmp_path: Path) -> Iterator[IdpThread]:
    import asyncio

    schema = f"idp_it_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE SCHEMA {schema}"))
    try:
        # asyncpg passes unknown DSN query parameters on as server settings.
        with idp_thread(tmp_path / "idp", database=f"{PG}?search_path={schema}") as idp:
            yield idp
    finally:
        asyncio.run(admin(f"DROP SCHEMA {schema} CASCADE"))


def test_flow_and_concurrent_sign_ups_on_postgres(pg_idp: IdpThread) -> None:
    cognito = cognito_client(pg_idp.url)
    seeded = seed_pool(pg_idp, cognito)
    with httpx.Client(follow_redirects=False) as http:
        code = query_of(login_for_code(http, seeded).headers["location"])["code"]
        assert exchange_code(http, seeded, code, None).status_code == 200
        assert exchange_code(http, seeded, code, None).json()["error"] == "invalid_grant"

    def attempt(_: int) -> str:
        try:
            cognito_client(pg_idp.url).sign_up(
                ClientId=seeded.client_id,
                Username="race@example.com",
                Password=PASSWORD,
                UserAttributes=[{"Name": "given_name", "Value": "R"}, {"Name": "family_name", "Value": "C"}],
            )
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert sorted(set(outcomes)) == ["UsernameExistsException", "ok"] and outcomes.count("ok") == 1
