"""Users, sign-up, confirmation, password reset and the API sign-in flows through boto3."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.idp.flows import PASSWORD, SEED_SCHEMA, Seeded
from tests.integration.idp.harness import IdpThread, cognito_client


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return str(exc.value.response["Error"]["Code"]), str(exc.value.response["Error"]["Message"])


def latest_code(idp: IdpThread, email: str) -> str:
    code = idp.call(lambda svc: svc.outbox.latest_code(email))
    assert code is not None and re.fullmatch(r"\d{6}", code)
    return code


NAMES = [{"Name": "given_name", "Value": "Bob"}, {"Name": "family_name", "Value": "Builder"}]


def test_sign_up_confirm_and_sign_in(idp: IdpThread, cognito: Any, seeded: Seeded) -> None:
    signed = cognito.sign_up(
        ClientId=seeded.client_id, Username="bob@example.com", Password=PASSWORD, UserAttributes=NAMES
    )
    assert signed["UserConfirmed"] is False
    assert signed["CodeDeliveryDetails"] == {
        "Destination": "b***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    user = cognito.admin_get_user(UserPoolId=seeded.pool_id, Username="bob@example.com")
    assert user["Username"] == signed["UserSub"]
    assert user["UserStatus"] == "UNCONFIRMED"
    auth = {"USERNAME": "bob@example.com", "PASSWORD": PASSWORD}
    code, _ = error_of(
        cognito.initiate_auth, ClientId=seeded.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth
    )
    assert code == "UserNotConfirmedException"
    code, _ = error_of(
        cognito.confirm_sign_up,
        ClientId=seeded.client_id,
        Username="bob@example.com",
        ConfirmationCode="000000" if latest_code(idp, "bob@example.com") != "000000" else "111111",
    )
    assert code == "CodeMismatchException"
    cognito.confirm_sign_up(
        ClientId=seeded.client_id, Username="bob@example.com", ConfirmationCode=latest_code(idp, "bob@example.com")
    )
    attributes = {
        a["Name"]: a["Value"]
        for a in cognito.admin_get_user(UserPoolId=seeded.pool_id, Username="bob@example.com")["UserAttributes"]
    }
    assert attributes["email_verified"] == "true"
    code, message = error_of(
        cognito.confirm_sign_up, ClientId=seeded.client_id, Username="bob@example.com", ConfirmationCode="123456"
    )
    assert (code, message) == ("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
    result = cognito.initiate_auth(ClientId=seeded.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth)
    tokens = result["AuthenticationResult"]
    assert set(tokens) == {"AccessToken", "ExpiresIn", "TokenType", "RefreshToken", "IdToken"}
    me = cognito.get_user(AccessToken=tokens["AccessToken"])
    assert me["Username"] == signed["UserSub"]
    refreshed = cognito.initiate_auth(
        ClientId=seeded.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed and "AccessToken" in refreshed
    cognito.global_sign_out(AccessToken=tokens["AccessToken"])
    code, message = error_of(cognito.get_user, AccessToken=refreshed["AccessToken"])
    assert (code, message) == ("NotAuthorizedException", "Access Token has been revoked")
    code, _ = error_of(
        cognito.initiate_auth,
        ClientId=seeded.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert code == "NotAuthorizedException"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"Username": "alice@example.com", "Password": PASSWORD, "UserAttributes": NAMES}, "UsernameExistsException"),
        ({"Username": "c@example.com", "Password": "short", "UserAttributes": NAMES}, "InvalidPasswordException"),
        (
            {"Username": "c@example.com", "Password": "nouppercase1!", "UserAttributes": NAMES},
            "InvalidPasswordException",
        ),
        ({"Username": "c@example.com", "Password": PASSWORD, "UserAttributes": NAMES[:1]}, "InvalidParameterException"),
        ({"Username": "not-an-email", "Password": PASSWORD, "UserAttributes": NAMES}, "InvalidParameterException"),
    ],
)
def test_sign_up_rejections(cognito: Any, seeded: Seeded, kwargs: dict[str, Any], expected: str) -> None:
    code, _ = error_of(cognito.sign_up, ClientId=seeded.client_id, **kwargs)
    assert code == expected


def test_missing_required_attribute_message(cognito: Any, seeded: Seeded) -> None:
    _, message = error_of(
        cognito.sign_up,
        ClientId=seeded.client_id,
        Username="c@example.com",
        Password=PASSWORD,
        UserAttributes=NAMES[:1],
    )
    assert message == "Attributes did not conform to the schema: family_name: The attribute family_name is required"


def test_wrong_password_disabled_user_and_throttling(cognito: Any, seeded: Seeded) -> None:
    auth = {"USERNAME": seeded.username, "PASSWORD": "Wrong-Passw0rd!"}
    flow = {"ClientId": seeded.client_id, "AuthFlow": "USER_PASSWORD_AUTH"}
    assert error_of(cognito.initiate_auth, AuthParameters=auth, **flow) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    missing = {"USERNAME": "nobody@example.com", "PASSWORD": PASSWORD}
    assert error_of(cognito.initiate_auth, AuthParameters=missing, **flow)[0] == "UserNotFoundException"
    cognito.admin_disable_user(UserPoolId=seeded.pool_id, Username=seeded.username)
    good = {"USERNAME": seeded.username, "PASSWORD": PASSWORD}
    assert error_of(cognito.initiate_auth, AuthParameters=good, **flow) == (
        "NotAuthorizedException",
        "User is disabled.",
    )
    cognito.admin_enable_user(UserPoolId=seeded.pool_id, Username=seeded.username)
    for _ in range(4):
        error_of(cognito.initiate_auth, AuthParameters=auth, **flow)
    # Five failures in the window: even the right password is refused for a while.
    assert error_of(cognito.initiate_auth, AuthParameters=good, **flow) == (
        "NotAuthorizedException",
        "Password attempts exceeded",
    )


def test_user_password_auth_must_be_enabled(cognito: Any, seeded: Seeded) -> None:
    other = cognito.create_user_pool_client(UserPoolId=seeded.pool_id, ClientName="srp-only")["UserPoolClient"]
    code, message = error_of(
        cognito.initiate_auth,
        ClientId=other["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": seeded.username, "PASSWORD": PASSWORD},
    )
    assert (code, message) == ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")


def test_forgot_and_confirm_forgot_password(idp: IdpThread, cognito: Any, seeded: Seeded) -> None:
    details = cognito.forgot_password(ClientId=seeded.client_id, Username=seeded.username)["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL"
    code = latest_code(idp, seeded.username)
    assert (
        error_of(
            cognito.confirm_forgot_password,
            ClientId=seeded.client_id,
            Username=seeded.username,
            ConfirmationCode=code,
            Password="weak",
        )[0]
        == "InvalidPasswordException"
    )
    cognito.confirm_forgot_password(
        ClientId=seeded.client_id, Username=seeded.username, ConfirmationCode=code, Password="Another-Passw0rd!"
    )
    cognito.initiate_auth(
        ClientId=seeded.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": seeded.username, "PASSWORD": "Another-Passw0rd!"},
    )


def test_expired_code(idp: IdpThread, cognito: Any, seeded: Seeded) -> None:
    cognito.sign_up(ClientId=seeded.client_id, Username="late@example.com", Password=PASSWORD, UserAttributes=NAMES)
    code = latest_code(idp, "late@example.com")

    async def expire(svc: Any) -> None:
        pool = await svc.repo.pool(seeded.pool_id)
        user = await svc.repo.user(pool, "late@example.com")
        user["_confirmation_code"]["expires_at"] = 0
        await svc.repo.save_user(pool, user)

    idp.call(expire)
    assert (
        error_of(
            cognito.confirm_sign_up, ClientId=seeded.client_id, Username="late@example.com", ConfirmationCode=code
        )[0]
        == "ExpiredCodeException"
    )
    cognito.resend_confirmation_code(ClientId=seeded.client_id, Username="late@example.com")
    cognito.confirm_sign_up(
        ClientId=seeded.client_id, Username="late@example.com", ConfirmationCode=latest_code(idp, "late@example.com")
    )


def test_admin_created_user_must_set_a_new_password(cognito: Any, seeded: Seeded) -> None:
    cognito.admin_create_user(
        UserPoolId=seeded.pool_id,
        Username="new@example.com",
        TemporaryPassword="Temp-Passw0rd!",
        MessageAction="SUPPRESS",
    )
    started = cognito.admin_initiate_auth(
        UserPoolId=seeded.pool_id,
        ClientId=seeded.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "new@example.com", "PASSWORD": "Temp-Passw0rd!"},
    )
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert error_of(
        cognito.respond_to_auth_challenge,
        ClientId=seeded.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session="bogus-session-value-0123456789",
        ChallengeResponses={"USERNAME": "new@example.com", "NEW_PASSWORD": PASSWORD},
    )[0] == ("NotAuthorizedException")
    done = cognito.respond_to_auth_challenge(
        ClientId=seeded.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": "new@example.com", "NEW_PASSWORD": PASSWORD},
    )
    assert "IdToken" in done["AuthenticationResult"]
    status = cognito.admin_get_user(UserPoolId=seeded.pool_id, Username="new@example.com")["UserStatus"]
    assert status == "CONFIRMED"


def test_groups_attributes_and_list_users_filter(cognito: Any, seeded: Seeded) -> None:
    cognito.create_group(UserPoolId=seeded.pool_id, GroupName="admins", Precedence=1)
    assert error_of(cognito.create_group, UserPoolId=seeded.pool_id, GroupName="admins")[0] == "GroupExistsException"
    cognito.admin_add_user_to_group(UserPoolId=seeded.pool_id, Username=seeded.username, GroupName="admins")
    groups = cognito.admin_list_groups_for_user(UserPoolId=seeded.pool_id, Username=seeded.username)["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins"]
    tokens = cognito.initiate_auth(
        ClientId=seeded.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": seeded.username, "PASSWORD": PASSWORD},
    )
    import jwt

    claims = jwt.decode(tokens["AuthenticationResult"]["AccessToken"], options={"verify_signature": False})
    assert claims["cognito:groups"] == ["admins"]
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    cognito.admin_remove_user_from_group(UserPoolId=seeded.pool_id, Username=seeded.username, GroupName="admins")
    assert cognito.admin_list_groups_for_user(UserPoolId=seeded.pool_id, Username=seeded.username)["Groups"] == []
    cognito.admin_update_user_attributes(
        UserPoolId=seeded.pool_id, Username=seeded.username, UserAttributes=[{"Name": "given_name", "Value": "Alicia"}]
    )
    cognito.sign_up(ClientId=seeded.client_id, Username="zed@example.com", Password=PASSWORD, UserAttributes=NAMES)
    found = cognito.list_users(UserPoolId=seeded.pool_id, Filter='given_name = "Alicia"')["Users"]
    assert [u["Username"] for u in found] == [seeded.sub]
    prefixed = cognito.list_users(UserPoolId=seeded.pool_id, Filter='email ^= "zed"')["Users"]
    assert len(prefixed) == 1
    unconfirmed = cognito.list_users(UserPoolId=seeded.pool_id, Filter='cognito:user_status = "UNCONFIRMED"')["Users"]
    assert len(unconfirmed) == 1
    assert error_of(cognito.list_users, UserPoolId=seeded.pool_id, Filter="given_name == Alicia")[0] == (
        "InvalidParameterException"
    )
    cognito.admin_delete_user(UserPoolId=seeded.pool_id, Username="zed@example.com")
    assert error_of(cognito.admin_get_user, UserPoolId=seeded.pool_id, Username="zed@example.com")[0] == (
        "UserNotFoundException"
    )


def test_concurrent_sign_ups_of_one_name_leave_one_user(idp: IdpThread, seeded: Seeded) -> None:
    def attempt(_: int) -> str:
        client = cognito_client(idp.url)
        try:
            client.sign_up(
                ClientId=seeded.client_id, Username="race@example.com", Password=PASSWORD, UserAttributes=NAMES
            )
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "UsernameExistsException"}
    users = cognito_client(idp.url).list_users(UserPoolId=seeded.pool_id, Filter='email = "race@example.com"')
    assert len(users["Users"]) == 1


def test_pool_with_usernames_and_secret_client(cognito: Any) -> None:
    pool_id = cognito.create_user_pool(PoolName="plain", Schema=SEED_SCHEMA[:1])["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="s", GenerateSecret=True, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    attrs = [{"Name": "email", "Value": "d@example.com"}]
    code, message = error_of(
        cognito.sign_up, ClientId=client["ClientId"], Username="dora", Password=PASSWORD, UserAttributes=attrs
    )
    assert code == "NotAuthorizedException" and "secret" in message
    import base64
    import hashlib
    import hmac

    secret_hash = base64.b64encode(
        hmac.new(client["ClientSecret"].encode(), b"dora" + client["ClientId"].encode(), hashlib.sha256).digest()
    ).decode()
    cognito.sign_up(
        ClientId=client["ClientId"], Username="dora", Password=PASSWORD, UserAttributes=attrs, SecretHash=secret_hash
    )
    assert cognito.admin_get_user(UserPoolId=pool_id, Username="dora")["Username"] == "dora"
    cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username="dora")
    flow = {"ClientId": client["ClientId"], "AuthFlow": "USER_PASSWORD_AUTH"}
    for password in (PASSWORD, "Wrong-Passw0rd!"):
        # Without the right secret hash the answer is the same whatever the password: no password oracle.
        wrong_hash = {"USERNAME": "dora", "PASSWORD": password, "SECRET_HASH": "AAAA"}
        assert error_of(cognito.initiate_auth, AuthParameters=wrong_hash, **flow) == (
            "NotAuthorizedException",
            f"Unable to verify secret hash for client {client['ClientId']}",
        )
    good = {"USERNAME": "dora", "PASSWORD": PASSWORD, "SECRET_HASH": secret_hash}
    tokens = cognito.initiate_auth(AuthParameters=good, **flow)["AuthenticationResult"]
    refreshed = cognito.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"], "SECRET_HASH": secret_hash, "USERNAME": "dora"},
    )
    assert "AccessToken" in refreshed["AuthenticationResult"]


def test_five_wrong_codes_lock_the_code(idp: IdpThread, cognito: Any, seeded: Seeded) -> None:
    cognito.sign_up(ClientId=seeded.client_id, Username="guess@example.com", Password=PASSWORD, UserAttributes=NAMES)
    right = latest_code(idp, "guess@example.com")
    wrong = "000000" if right != "000000" else "111111"
    outcomes = [
        error_of(
            cognito.confirm_sign_up, ClientId=seeded.client_id, Username="guess@example.com", ConfirmationCode=wrong
        )[0]
        for _ in range(5)
    ]
    assert outcomes == ["CodeMismatchException"] * 4 + ["LimitExceededException"]
    assert (
        error_of(
            cognito.confirm_sign_up, ClientId=seeded.client_id, Username="guess@example.com", ConfirmationCode=right
        )[0]
        == "LimitExceededException"
    )
    cognito.resend_confirmation_code(ClientId=seeded.client_id, Username="guess@example.com")
    cognito.confirm_sign_up(
        ClientId=seeded.client_id, Username="guess@example.com", ConfirmationCode=latest_code(idp, "guess@example.com")
    )
