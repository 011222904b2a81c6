"""`python -m sekisho.idp`: seed (idempotent), outbox, and serving http plus https with its own certificate."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from tests.integration.idp.harness import cognito_client

SEED = Path(__file__).with_name("kong-seed.yaml")


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sekisho.idp", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_seed_is_idempotent_and_served(tmp_path: Path) -> None:
    data_dir = tmp_path / "idp"
    first = run_cli("seed", str(SEED), data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    pool = summary["pools"][0]
    assert pool["id"] == "us-east-1_SeKiSho01"
    assert pool["clients"] == {"kong-api": "1sekisho0kong0api000000001"}
    again = run_cli("seed", str(SEED), data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == summary
    outbox = run_cli("outbox", "--json", data_dir=data_dir)
    assert json.loads(outbox.stdout) == []

    env = {**os.environ, "SEKISHO_IDP_PORT": "0"}
    log = (tmp_path / "idp.log").open("w")
    with (
        subprocess.Popen(
            [sys.executable, "-m", "sekisho.idp", "--data-dir", str(data_dir), "--https-port", "0"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        ) as server,
        log,
    ):
        try:
            _exercise(server, data_dir)
        finally:
            server.terminate()
            server.wait(20)


def _exercise(server: subprocess.Popen[str], data_dir: Path) -> None:
    assert server.stdout is not None
    banner = server.stdout.readline()
    match = re.match(r"sekisho idp: (http://\S+)\s+(https://\S+)", banner)
    assert match, banner
    http_url, https_url = match.groups()
    cognito = cognito_client(http_url)
    described = cognito.describe_user_pool(UserPoolId="us-east-1_SeKiSho01")["UserPool"]
    assert described["Domain"] == "kong-demo"
    users = cognito.list_users(UserPoolId="us-east-1_SeKiSho01")["Users"]
    assert len(users) == 1
    groups = cognito.admin_list_groups_for_user(UserPoolId="us-east-1_SeKiSho01", Username="admin@example.com")
    assert [g["GroupName"] for g in groups["Groups"]] == ["admins"]
    tokens = cognito.initiate_auth(
        ClientId="1sekisho0kong0api000000001",
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "admin@example.com", "PASSWORD": "Sekisho-Passw0rd!"},
    )
    assert "IdToken" in tokens["AuthenticationResult"]
    certificate = data_dir / "tls" / "idp-cert.pem"
    with httpx.Client(verify=ssl.create_default_context(cafile=str(certificate))) as https:
        jwks = https.get(f"{https_url}/us-east-1_SeKiSho01/.well-known/jwks.json")
    assert jwks.status_code == 200 and len(jwks.json()["keys"]) == 2
