"""User creation and sign-in checks shared by SignUp, AdminCreateUser, InitiateAuth and the hosted UI."""

from __future__ import annotations

import re
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.ids import new_sub
from sekisho.idp.models import Client, Pool, User, attribute_map, required_attributes, user_key, uses_email_as_username
from sekisho.idp.passwords import verify_password
from sekisho.idp.services import Services
from sekisho.idp.tokens import IssuedTokens

__all__ = ["authenticate", "check_attributes", "new_user", "tokens_result", "user_view"]

_USERNAME = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+[0-9]{4,15}")


def _valid_username(username: str) -> bool:
    return 1 <= len(username) <= 128 and not any(c.isspace() for c in username) and username.isprintable()


def check_attributes(pool: Pool, attributes: dict[str, str], *, enforce_required: bool, client: Client | None) -> None:
    known = {a["Name"] for a in pool.get("SchemaAttributes", [])}
    problems: list[str] = []
    for name, value in attributes.items():
        if name not in known or name == "sub":
            problems.append(f"Type for attribute {{{name}}} could not be determined")
        elif name == "email" and value and not _EMAIL.fullmatch(value):
            raise CognitoError.invalid_parameter("Invalid email address format.")
        elif name == "phone_number" and value and not _PHONE.fullmatch(value):
            raise CognitoError.invalid_parameter("Invalid phone number format.")
    if enforce_required:
        for name in required_attributes(pool):
            if name != "sub" and not attributes.get(name):
                problems.append(f"{name}: The attribute {name} is required")
    if problems:
        raise CognitoError.invalid_parameter("Attributes did not conform to the schema: " + ", ".join(problems))
    if client is not None and client.get("WriteAttributes"):
        writable = set(client["WriteAttributes"])
        for name in attributes:
            if name not in writable and name not in required_attributes(pool):
                raise CognitoError.not_authorized(f"A client attempted to write unauthorized attribute {name}")


def new_user(
    svc: Services, pool: Pool, username: str, attributes: dict[str, str], status: str, password_hash: str | None
) -> User:
    """Build a user record; in email-as-username pools the username is a UUID equal to `sub`."""
    if not _valid_username(username):
        raise CognitoError.invalid_parameter(
            f"1 validation error detected: Value at 'username' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {_USERNAME}"
        )
    sub = new_sub()
    attrs = dict(attributes)
    if uses_email_as_username(pool):
        if not _EMAIL.fullmatch(username):
            raise CognitoError.invalid_parameter("Username should be an email.")
        attrs["email"] = username
        username = sub
    elif "@" in username and "email" in (pool.get("AliasAttributes") or []):
        raise CognitoError.invalid_parameter("Username should not be an email when email is an alias.")
    attrs["sub"] = sub
    now = round(svc.clock.now(), 3)
    ordered = {"sub": sub, **{k: v for k, v in attrs.items() if k != "sub"}}
    return {
        "Username": username,
        "Attributes": [{"Name": k, "Value": v} for k, v in ordered.items()],
        "UserCreateDate": now,
        "UserLastModifiedDate": now,
        "Enabled": True,
        "UserStatus": status,
        "_key": user_key(pool, username),
        "_password": password_hash,
        "_groups": [],
    }


def user_view(user: User, *, attributes_name: str = "Attributes") -> dict[str, Any]:
    view = {k: v for k, v in user.items() if not k.startswith("_") and k != "Attributes"}
    view[attributes_name] = user.get("Attributes", [])
    return view


async def authenticate(svc: Services, pool: Pool, client: Client, username: str, password: str) -> User:
    """Password sign-in with Cognito's errors; counts failures and throttles."""
    user = await svc.repo.user(pool, username)
    hide = client.get("PreventUserExistenceErrors") == "ENABLED"
    if user is None:
        if hide:
            raise CognitoError.not_authorized()
        raise CognitoError.user_not_found()
    if svc.throttle.blocked(pool["Id"], user["_key"]):
        raise CognitoError.not_authorized("Password attempts exceeded")
    if not verify_password(user.get("_password"), password):
        svc.throttle.failed(pool["Id"], user["_key"])
        raise CognitoError.not_authorized()
    if not user.get("Enabled", True):
        raise CognitoError.not_authorized("User is disabled.")
    temp_expiry = user.get("_temporary_password_expires_at")
    if user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and temp_expiry and temp_expiry <= svc.clock.now():
        raise CognitoError.not_authorized("Temporary password has expired and must be reset by an administrator.")
    if user["UserStatus"] == "UNCONFIRMED":
        raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
    if user["UserStatus"] == "RESET_REQUIRED":
        raise CognitoError("PasswordResetRequiredException", "Password reset required for the user")
    svc.throttle.succeeded(pool["Id"], user["_key"])
    return user


def tokens_result(tokens: IssuedTokens) -> dict[str, Any]:
    result: dict[str, Any] = {"AccessToken": tokens.access_token, "ExpiresIn": tokens.expires_in, "TokenType": "Bearer"}
    if tokens.refresh_token:
        result["RefreshToken"] = tokens.refresh_token
    if tokens.id_token:
        result["IdToken"] = tokens.id_token
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


def email_of(user: User) -> str | None:
    return attribute_map(user).get("email")
