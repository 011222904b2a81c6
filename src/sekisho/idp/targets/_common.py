"""Helpers shared by the Cognito actions: request validation, client checks, codes and masking."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.ids import new_numeric_code
from sekisho.idp.models import Client, Pool, User, attribute_map
from sekisho.idp.services import Services

__all__ = [
    "CODE_LIFETIME_SECONDS",
    "Handler",
    "Request",
    "check_secret_hash",
    "issue_code",
    "mask_email",
    "optional_list",
    "optional_map",
    "optional_str",
    "require_str",
    "timestamp",
]

Request = dict[str, Any]
Handler = Callable[[Services, Request], Awaitable[dict[str, Any]]]
CODE_LIFETIME_SECONDS = 24 * 3600
_MAX_FIELD = 2048


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def require_str(req: Request, name: str, *, max_length: int = _MAX_FIELD, pattern: str | None = None) -> str:
    value = req.get(name)
    if value is None:
        raise CognitoError.invalid_parameter(
            f"1 validation error detected: Value null at '{_camel(name)}' failed to satisfy constraint: "
            "Member must not be null"
        )
    if not isinstance(value, str):
        raise CognitoError("SerializationException", f"STRING_VALUE can not be converted to {name}")
    _check_str(name, value, max_length, pattern)
    return value


def optional_str(req: Request, name: str, *, max_length: int = _MAX_FIELD, pattern: str | None = None) -> str | None:
    if req.get(name) is None:
        return None
    return require_str(req, name, max_length=max_length, pattern=pattern)


def _check_str(name: str, value: str, max_length: int, pattern: str | None) -> None:
    if not 1 <= len(value) <= max_length:
        raise CognitoError.invalid_parameter(
            f"1 validation error detected: Value at '{_camel(name)}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {max_length}"
            if value
            else f"1 validation error detected: Value at '{_camel(name)}' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    if pattern is not None and not re.fullmatch(pattern, value):
        raise CognitoError.invalid_parameter(
            f"1 validation error detected: Value '{value}' at '{_camel(name)}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}"
        )


def optional_map(req: Request, name: str) -> dict[str, Any] | None:
    value = req.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CognitoError("SerializationException", f"Expected a structure for {name}")
    return value


def optional_list(req: Request, name: str, *, max_items: int = 100) -> list[Any] | None:
    value = req.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise CognitoError("SerializationException", f"Expected list for {name}")
    if len(value) > max_items:
        raise CognitoError.invalid_parameter(
            f"1 validation error detected: Value at '{_camel(name)}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {max_items}"
        )
    return value


def attribute_list(req: Request, name: str) -> dict[str, str]:
    items = optional_list(req, name, max_items=100) or []
    result: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise CognitoError.invalid_parameter("Attribute name is required")
        value = item.get("Value", "")
        if not isinstance(value, str) or len(value) > _MAX_FIELD:
            raise CognitoError.invalid_parameter(f"Invalid value for attribute {item['Name']}")
        result[item["Name"]] = value
    return result


def timestamp(svc: Services) -> float:
    return round(svc.clock.now(), 3)


def secret_hash(client_id: str, client_secret: str, username: str) -> str:
    mac = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def secret_not_received(client: Client) -> str:
    return f"Client {client['ClientId']} is configured for secret but secret was not received"


def check_secret_hash(client: Client, username: str, provided: str | None, *usernames: str) -> None:
    """Clients with a secret must send SECRET_HASH (HMAC-SHA256 of username + client id)."""
    secret = client.get("ClientSecret")
    if not secret:
        return
    if not isinstance(provided, str) or not provided:
        raise CognitoError.not_authorized(
            f"Client {client['ClientId']} is configured for secret but secret was not received"
        )
    for name in (username, *usernames):
        if hmac.compare_digest(secret_hash(client["ClientId"], secret, name), provided):
            return
    raise CognitoError.not_authorized(f"Unable to verify secret hash for client {client['ClientId']}")


async def client_for(svc: Services, req: Request) -> tuple[Pool, Client]:
    client_id = require_str(req, "ClientId", max_length=128, pattern=r"[\w+]+")
    return await svc.repo.client_anywhere(client_id)


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


async def issue_code(svc: Services, pool: Pool, user: User, purpose: str) -> dict[str, str]:
    """Store a fresh 6-digit code on the user, mail it to the outbox, return CodeDeliveryDetails."""
    code = new_numeric_code()
    user[f"_{purpose}_code"] = {"code": code, "expires_at": svc.clock.now() + CODE_LIFETIME_SECONDS}
    email = attribute_map(user).get("email", "")
    await svc.repo.save_user(pool, user)
    template = pool.get("VerificationMessageTemplate") or {}
    if purpose == "confirmation":
        subject = template.get("EmailSubject") or "Your verification code"
        body = (template.get("EmailMessage") or "Your verification code is {####}. ").replace("{####}", code)
    else:
        subject = "Your password reset code"
        body = f"Your password reset code is {code}. "
    if email:
        await svc.outbox.send(pool_id=pool["Id"], to=email, subject=subject, body=body, code=code)
    return {"Destination": mask_email(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}


MAX_CODE_ATTEMPTS = 5
CODE_LOCK_SECONDS = 900


async def check_code(svc: Services, pool: Pool, user: User, purpose: str, code: str) -> None:
    """Compare a confirmation/reset code. After five wrong tries the code is locked for a while (even the right
    value gets LimitExceededException) until it expires or a new code is sent."""
    field = f"_{purpose}_code"
    stored = user.get(field)
    if not stored or stored["expires_at"] <= svc.clock.now():
        raise CognitoError.expired_code()
    limit = CognitoError("LimitExceededException", "Attempt limit exceeded, please try after some time.")
    if stored.get("locked_until", 0) > svc.clock.now():
        raise limit
    if hmac.compare_digest(str(stored["code"]), code):
        return
    stored["failures"] = int(stored.get("failures", 0)) + 1
    if stored["failures"] >= MAX_CODE_ATTEMPTS:
        stored["locked_until"] = svc.clock.now() + CODE_LOCK_SECONDS
        stored["failures"] = 0
        await svc.repo.save_user(pool, user)
        raise limit
    await svc.repo.save_user(pool, user)
    raise CognitoError.code_mismatch()


def page(items: list[Any], limit: Any, token: Any, *, maximum: int) -> tuple[list[Any], str | None]:
    """Offset pagination with Cognito's limits; the token is opaque to clients."""
    if limit is None:
        limit = maximum
    if not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise CognitoError.invalid_parameter(
            f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {maximum}"
        )
    start = 0
    if token is not None:
        try:
            start = int(base64.urlsafe_b64decode(str(token).encode()).decode())
        except ValueError:
            raise CognitoError.invalid_parameter("Invalid pagination token") from None
    chunk = items[start : start + limit]
    following = start + limit
    next_token = base64.urlsafe_b64encode(str(following).encode()).decode() if following < len(items) else None
    return chunk, next_token
