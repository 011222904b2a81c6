"""Members of the wrong JSON type get a Cognito error (4xx), never a server error, and create nothing broken."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.integration.idp.flows import PASSWORD, seed_pool
from tests.integration.idp.harness import IdpThread

WRONG = [5, [], {}, None, [1], {"a": 1}, [{"Name": 1}], True]


def baselines(pool_id: str, client_id: str, username: str) -> dict[str, dict[str, Any]]:
    names = [{"Name": "given_name", "Value": "T"}, {"Name": "family_name", "Value": "C"}]
    return {
        "CreateUserPool": {
            "PoolName": "p",
            "Policies": {"PasswordPolicy": {"MinimumLength": 8}},
            "Schema": [],
            "AdminCreateUserConfig": {},
            "UsernameConfiguration": {},
            "AutoVerifiedAttributes": [],
            "VerificationMessageTemplate": {},
        },
        "CreateUserPoolClient": {
            "UserPoolId": pool_id,
            "ClientName": "c",
            "TokenValidityUnits": {},
            "CallbackURLs": [],
            "AllowedOAuthFlows": [],
            "AllowedOAuthScopes": [],
            "ExplicitAuthFlows": [],
            "RefreshTokenRotation": {"Feature": "DISABLED"},
            "AccessTokenValidity": 1,
        },
        "SignUp": {
            "ClientId": client_id,
            "Username": "t@example.com",
            "Password": PASSWORD,
            "UserAttributes": names,
            "SecretHash": "x",
        },
        "InitiateAuth": {
            "ClientId": client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": "wrong", "SECRET_HASH": "x"},
        },
        "AdminCreateUser": {
            "UserPoolId": pool_id,
            "Username": "n@example.com",
            "UserAttributes": [],
            "MessageAction": "SUPPRESS",
            "TemporaryPassword": PASSWORD,
        },
        "ListUsers": {"UserPoolId": pool_id, "Filter": 'email = "x"', "AttributesToGet": [], "Limit": 5},
        "RespondToAuthChallenge": {
            "ClientId": client_id,
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": "s" * 30,
            "ChallengeResponses": {"USERNAME": username},
        },
        "CreateUserPoolDomain": {"Domain": "other", "UserPoolId": pool_id, "CustomDomainConfig": None},
        "AdminUpdateUserAttributes": {"UserPoolId": pool_id, "Username": username, "UserAttributes": names},
        "CreateGroup": {"UserPoolId": pool_id, "GroupName": "g", "Precedence": 1, "Description": "d"},
        "CreateResourceServer": {"UserPoolId": pool_id, "Identifier": "api", "Name": "api", "Scopes": []},
        "AdminSetUserPassword": {"UserPoolId": pool_id, "Username": username, "Password": PASSWORD, "Permanent": True},
        "ListUserPools": {"MaxResults": 5, "NextToken": "MA=="},
    }


def test_wrong_member_types_never_cause_server_errors(idp: IdpThread, cognito: Any) -> None:
    seeded = seed_pool(idp, cognito)
    failures = []
    with httpx.Client(timeout=30) as http:
        for action, baseline in baselines(seeded.pool_id, seeded.client_id, seeded.username).items():
            for member in baseline:
                for wrong in WRONG:
                    response = http.post(
                        idp.url + "/",
                        content=json.dumps({**baseline, member: wrong}),
                        headers={"x-amz-target": f"AWSCognitoIdentityProviderService.{action}"},
                    )
                    if response.status_code >= 500 or (response.status_code != 200 and "__type" not in response.json()):
                        failures.append(f"{action}.{member}={wrong!r}: {response.status_code}")
    assert failures == []
