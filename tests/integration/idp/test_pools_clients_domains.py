"""Pool, client, domain and resource-server actions through boto3, as a developer would call Cognito."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

SEED_SCHEMA = [
    {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {"Name": "given_name", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {"Name": "family_name", "AttributeDataType": "String", "Required": True, "Mutable": True},
]


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_create_describe_list_update_delete_pool(cognito: Any) -> None:
    created = cognito.create_user_pool(
        PoolName="kong-pool",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Schema=SEED_SCHEMA,
        UsernameConfiguration={"CaseSensitive": False},
    )["UserPool"]
    assert re.fullmatch(r"us-east-1_[A-Za-z0-9]{9}", created["Id"])
    described = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert described["Name"] == "kong-pool"
    assert described["UsernameAttributes"] == ["email"]
    required = {a["Name"] for a in described["SchemaAttributes"] if a["Required"]}
    assert required == {"sub", "email", "given_name", "family_name"}
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    listed = cognito.list_user_pools(MaxResults=10)["UserPools"]
    assert [p["Id"] for p in listed] == [created["Id"]]
    cognito.update_user_pool(UserPoolId=created["Id"], Policies={"PasswordPolicy": {"MinimumLength": 12}})
    updated = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert updated["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    # Cognito resets what UpdateUserPool omits to its default.
    assert updated["AutoVerifiedAttributes"] == []
    cognito.delete_user_pool(UserPoolId=created["Id"])
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool(UserPoolId=created["Id"])
    assert error_code(exc) == "ResourceNotFoundException"


def test_username_and_alias_attributes_are_exclusive(cognito: Any) -> None:
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool(PoolName="p", UsernameAttributes=["email"], AliasAttributes=["email"])
    assert error_code(exc) == "InvalidParameterException"


def test_clients_with_and_without_secret(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    public = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="kong-api",
        CallbackURLs=["http://localhost:8000/callback", "https://app.example.com/cb"],
        LogoutURLs=["http://localhost:8000/"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["email", "openid", "aws.cognito.signin.user.admin", "profile"],
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
        AccessTokenValidity=30,
        TokenValidityUnits={"AccessToken": "minutes"},
    )["UserPoolClient"]
    assert re.fullmatch(r"[a-z0-9]{26}", public["ClientId"])
    assert "ClientSecret" not in public
    confidential = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="backend", GenerateSecret=True)[
        "UserPoolClient"
    ]
    assert re.fullmatch(r"[a-z0-9]{51}", confidential["ClientSecret"])
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=public["ClientId"])["UserPoolClient"]
    assert described["CallbackURLs"] == ["http://localhost:8000/callback", "https://app.example.com/cb"]
    assert described["AllowedOAuthScopes"] == ["email", "openid", "aws.cognito.signin.user.admin", "profile"]
    assert described["AccessTokenValidity"] == 30
    names = {
        c["ClientName"] for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"]
    }
    assert names == {"kong-api", "backend"}
    cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=confidential["ClientId"], ClientName="renamed")
    again = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=confidential["ClientId"])["UserPoolClient"]
    assert again["ClientName"] == "renamed"
    assert again["ClientSecret"] == confidential["ClientSecret"]
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=confidential["ClientId"])
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=confidential["ClientId"])
    assert error_code(exc) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("settings", "message_part"),
    [
        ({"CallbackURLs": ["http://app.example.com/cb"]}, "HTTPS"),
        ({"CallbackURLs": ["https://app.example.com/cb#frag"]}, "fragment"),
        ({"AllowedOAuthFlows": ["code", "client_credentials"], "GenerateSecret": True}, "client_credentials"),
        ({"AllowedOAuthFlows": ["client_credentials"]}, "client secret"),
        ({"AllowedOAuthFlowsUserPoolClient": True}, "AllowedOAuthFlows"),
        (
            {"CallbackURLs": ["https://a.example/cb"], "DefaultRedirectURI": "https://b.example/cb"},
            "DefaultRedirectURI",
        ),
    ],
)
def test_client_validation(cognito: Any, settings: dict[str, Any], message_part: str) -> None:
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="c", **settings)
    assert error_code(exc) == "InvalidParameterException"
    assert message_part in exc.value.response["Error"]["Message"]


def test_unknown_scope_is_rejected_until_its_resource_server_exists(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="c", AllowedOAuthScopes=["api/read"])
    assert error_code(exc) == "ScopeDoesNotExistException"
    cognito.create_resource_server(
        UserPoolId=pool_id, Identifier="api", Name="api", Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}]
    )
    client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="c", AllowedOAuthScopes=["api/read"])
    assert client["UserPoolClient"]["AllowedOAuthScopes"] == ["api/read"]
    with pytest.raises(ClientError) as exc:
        cognito.create_resource_server(UserPoolId=pool_id, Identifier="api", Name="again")
    assert error_code(exc) == "InvalidParameterException"


def test_domains(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    other = cognito.create_user_pool(PoolName="q")["UserPool"]["Id"]
    cognito.create_user_pool_domain(Domain="kong-demo", UserPoolId=pool_id)
    described = cognito.describe_user_pool_domain(Domain="kong-demo")["DomainDescription"]
    assert described["UserPoolId"] == pool_id
    assert described["Status"] == "ACTIVE"
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Domain"] == "kong-demo"
    assert cognito.describe_user_pool_domain(Domain="nobody")["DomainDescription"] == {}
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_domain(Domain="kong-demo", UserPoolId=other)
    assert error_code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_domain(Domain="Bad_Prefix", UserPoolId=other)
    assert error_code(exc) == "InvalidParameterException"
    cognito.delete_user_pool_domain(Domain="kong-demo", UserPoolId=pool_id)
    assert cognito.describe_user_pool_domain(Domain="kong-demo")["DomainDescription"] == {}
    cognito.create_user_pool_domain(Domain="kong-demo", UserPoolId=other)
