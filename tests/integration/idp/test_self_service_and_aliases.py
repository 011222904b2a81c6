"""Self-service actions with an access token, admin sign-out and reset, group management, email aliases."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.idp.flows import PASSWORD, Seeded
from tests.integration.idp.harness import IdpThread


def code_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return str(exc.value.response["Error"]["Code"])


def sign_in(cognito: Any, seeded: Seeded, password: str = PASSWORD) -> dict[str, Any]:
    result = cognito.initiate_auth(
        ClientId=seeded.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": seeded.username, "PASSWORD": password},
    )
    return dict(result["AuthenticationResult"])


def test_change_password_update_attributes_delete_user(idp: IdpThread, cognito: Any, seeded: Seeded) -> None:
    access = sign_in(cognito, seeded)["AccessToken"]
    assert (
        code_of(
            cognito.change_password,
            AccessToken=access,
            PreviousPassword="Wrong-Passw0rd!",
            ProposedPassword="Changed-Passw0rd!",
        )
        == "NotAuthorizedException"
    )
    cognito.change_password(AccessToken=access, PreviousPassword=PASSWORD, ProposedPassword="Changed-Passw0rd!")
    access = sign_in(cognito, seeded, "Changed-Passw0rd!")["AccessToken"]
    cognito.update_user_attributes(AccessToken=access, UserAttributes=[{"Name": "given_name", "Value": "Al"}])
    attrs = {a["Name"]: a["Value"] for a in cognito.get_user(AccessToken=access)["UserAttributes"]}
    assert attrs["given_name"] == "Al"
    assert (
        code_of(
            cognito.update_user_attributes,
            AccessToken=access,
            UserAttributes=[{"Name": "email_verified", "Value": "true"}],
        )
        == "NotAuthorizedException"
    )
    cognito.delete_user(AccessToken=access)
    assert code_of(cognito.admin_get_user, UserPoolId=seeded.pool_id, Username=seeded.username) == (
        "UserNotFoundException"
    )


def test_admin_sign_out_and_reset(idp: IdpThread, cognito: Any, seeded: Seeded) -> None:
    tokens = sign_in(cognito, seeded)
    cognito.admin_user_global_sign_out(UserPoolId=seeded.pool_id, Username=seeded.username)
    assert code_of(cognito.get_user, AccessToken=tokens["AccessToken"]) == "NotAuthorizedException"
    cognito.admin_reset_user_password(UserPoolId=seeded.pool_id, Username=seeded.username)
    assert code_of(
        cognito.initiate_auth,
        ClientId=seeded.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": seeded.username, "PASSWORD": PASSWORD},
    ) == ("PasswordResetRequiredException")
    code = idp.call(lambda svc: svc.outbox.latest_code(seeded.username))
    cognito.confirm_forgot_password(
        ClientId=seeded.client_id, Username=seeded.username, ConfirmationCode=str(code), Password="Reset-Passw0rd!"
    )
    sign_in(cognito, seeded, "Reset-Passw0rd!")


def test_group_management(cognito: Any, seeded: Seeded) -> None:
    cognito.create_group(UserPoolId=seeded.pool_id, GroupName="readers", Description="r")
    cognito.admin_add_user_to_group(UserPoolId=seeded.pool_id, Username=seeded.username, GroupName="readers")
    members = cognito.list_users_in_group(UserPoolId=seeded.pool_id, GroupName="readers")["Users"]
    assert [m["Username"] for m in members] == [seeded.sub]
    updated = cognito.update_group(UserPoolId=seeded.pool_id, GroupName="readers", Precedence=3)["Group"]
    assert updated["Precedence"] == 3 and updated["Description"] == "r"
    assert [g["GroupName"] for g in cognito.list_groups(UserPoolId=seeded.pool_id)["Groups"]] == ["readers"]
    cognito.delete_group(UserPoolId=seeded.pool_id, GroupName="readers")
    assert cognito.admin_list_groups_for_user(UserPoolId=seeded.pool_id, Username=seeded.username)["Groups"] == []
    assert code_of(cognito.get_group, UserPoolId=seeded.pool_id, GroupName="readers") == "ResourceNotFoundException"


def test_verified_email_alias_signs_in_and_is_unique(idp: IdpThread, cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="aliases", AliasAttributes=["email"], AutoVerifiedAttributes=["email"])[
        "UserPool"
    ]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    assert code_of(cognito.sign_up, ClientId=client_id, Username="e@example.com", Password=PASSWORD) == (
        "InvalidParameterException"
    )
    email = [{"Name": "email", "Value": "erin@example.com"}]
    cognito.sign_up(ClientId=client_id, Username="erin", Password=PASSWORD, UserAttributes=email)
    cognito.confirm_sign_up(
        ClientId=client_id,
        Username="erin",
        ConfirmationCode=str(idp.call(lambda svc: svc.outbox.latest_code("erin@example.com"))),
    )
    by_alias = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "erin@example.com", "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in by_alias["AuthenticationResult"]
    cognito.sign_up(ClientId=client_id, Username="other", Password=PASSWORD, UserAttributes=email)
    code = str(idp.call(lambda svc: svc.outbox.latest_code("erin@example.com")))
    assert code_of(cognito.confirm_sign_up, ClientId=client_id, Username="other", ConfirmationCode=code) == (
        "AliasExistsException"
    )
