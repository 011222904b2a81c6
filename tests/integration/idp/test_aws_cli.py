"""The seed page's console setup done with the AWS CLI (`--endpoint-url`), then read back with describe-*."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.integration.idp.flows import SCOPES, SEED_SCHEMA
from tests.integration.idp.harness import IdpThread

AWS = str(Path(sys.executable).with_name("aws"))


def aws(idp: IdpThread, tmp_path: Path, *args: str) -> Any:
    config = tmp_path / "aws-config"
    # AWS CLI v1 would otherwise fetch any http:// parameter value (the callback URL) as a "param file".
    config.write_text("[default]\ncli_follow_urlparam = false\n")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [AWS, "cognito-idp", *args, "--endpoint-url", idp.url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_console_setup_with_the_aws_cli(idp: IdpThread, tmp_path: Path) -> None:
    pool = aws(
        idp,
        tmp_path,
        "create-user-pool",
        "--pool-name",
        "kong-pool",
        "--username-attributes",
        "email",
        "--auto-verified-attributes",
        "email",
        "--schema",
        json.dumps(SEED_SCHEMA),
    )["UserPool"]
    pool_id = pool["Id"]
    client = aws(
        idp,
        tmp_path,
        "create-user-pool-client",
        "--user-pool-id",
        pool_id,
        "--client-name",
        "kong-api",
        "--no-generate-secret",
        "--callback-urls",
        "http://localhost:8000/callback",
        "--allowed-o-auth-flows",
        "code",
        "--allowed-o-auth-scopes",
        *SCOPES,
        "--allowed-o-auth-flows-user-pool-client",
        "--supported-identity-providers",
        "COGNITO",
    )["UserPoolClient"]
    aws(idp, tmp_path, "create-user-pool-domain", "--domain", "kong-demo", "--user-pool-id", pool_id)

    described_pool = aws(idp, tmp_path, "describe-user-pool", "--user-pool-id", pool_id)["UserPool"]
    assert described_pool["UsernameAttributes"] == ["email"]
    assert {a["Name"] for a in described_pool["SchemaAttributes"] if a["Required"]} == {
        "sub",
        "email",
        "given_name",
        "family_name",
    }
    described_client = aws(
        idp, tmp_path, "describe-user-pool-client", "--user-pool-id", pool_id, "--client-id", client["ClientId"]
    )["UserPoolClient"]
    assert described_client["AllowedOAuthFlows"] == ["code"]
    assert described_client["AllowedOAuthScopes"] == SCOPES
    assert described_client["CallbackURLs"] == ["http://localhost:8000/callback"]
    assert "ClientSecret" not in described_client
    domain = aws(idp, tmp_path, "describe-user-pool-domain", "--domain", "kong-demo")["DomainDescription"]
    assert domain["UserPoolId"] == pool_id and domain["Status"] == "ACTIVE"
