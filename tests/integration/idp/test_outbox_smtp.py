"""Codes reach the outbox (listed on /_outbox) and, when configured, an SMTP server."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.idp.flows import PASSWORD, SEED_SCHEMA
from tests.integration.idp.harness import cognito_client, idp_thread
from tests.integration.idp.smtp_sink import smtp_sink


def test_verification_code_is_mailed_and_listed(tmp_path: Path) -> None:
    with (
        smtp_sink() as sink,
        idp_thread(tmp_path / "idp", smtp_host="127.0.0.1", smtp_port=sink.server_address[1]) as idp,
    ):
        cognito = cognito_client(idp.url)
        pool_id = cognito.create_user_pool(
            PoolName="p", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"], Schema=SEED_SCHEMA
        )["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="c")["UserPoolClient"]["ClientId"]
        cognito.sign_up(
            ClientId=client_id,
            Username="mail@example.com",
            Password=PASSWORD,
            UserAttributes=[{"Name": "given_name", "Value": "M"}, {"Name": "family_name", "Value": "Ail"}],
        )
        listed = httpx.get(f"{idp.url}/_outbox", params={"format": "json", "to": "mail@example.com"}).json()
        code = listed["messages"][0]["code"]
        assert len(code) == 6
        assert len(sink.messages) == 1
        assert "To: mail@example.com" in sink.messages[0]
        assert f"Your verification code is {code}." in sink.messages[0]
        page = httpx.get(f"{idp.url}/_outbox")
        assert page.status_code == 200 and code in page.text
