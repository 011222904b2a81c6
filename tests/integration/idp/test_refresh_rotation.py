"""Refresh-token rotation (the 2025 client setting): off by default, then a new refresh token on every refresh."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.integration.idp.flows import exchange_code, login_for_code, query_of, seed_pool
from tests.integration.idp.harness import IdpThread


def test_rotation_at_the_token_endpoint_and_the_api(idp: IdpThread, cognito: Any) -> None:
    seeded = seed_pool(idp, cognito, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0})
    described = cognito.describe_user_pool_client(UserPoolId=seeded.pool_id, ClientId=seeded.client_id)
    assert described["UserPoolClient"]["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    token_url = f"{seeded.domain_url}/oauth2/token"
    with httpx.Client(follow_redirects=False) as http:
        code = query_of(login_for_code(http, seeded).headers["location"])["code"]
        first = exchange_code(http, seeded, code, None).json()["refresh_token"]
        rotated = http.post(
            token_url, data={"grant_type": "refresh_token", "client_id": seeded.client_id, "refresh_token": first}
        ).json()
        second = rotated["refresh_token"]
        assert second != first
        stale = http.post(
            token_url, data={"grant_type": "refresh_token", "client_id": seeded.client_id, "refresh_token": first}
        )
        assert stale.json()["error"] == "invalid_grant"
    result = cognito.get_tokens_from_refresh_token(RefreshToken=second, ClientId=seeded.client_id)
    third = result["AuthenticationResult"]["RefreshToken"]
    assert third not in (first, second)
    with pytest.raises(ClientError) as exc:
        cognito.get_tokens_from_refresh_token(RefreshToken=second, ClientId=seeded.client_id)
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_invalid_rotation_settings(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="c",
            RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 61},
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
