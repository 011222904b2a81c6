"""`portal_idp_provisioning` (sekisho): portal sign-up also signs the user up in a Cognito-compatible user pool.

Uses the AWS JSON API's `SignUp` action, which public app clients call without AWS credentials (no SigV4),
so the same request works against real Amazon Cognito and against `sekisho idp`. Settings (workspace
`config.portal_idp_provisioning`, JSON): `endpoint` (e.g. `https://cognito-idp.<region>.amazonaws.com/` or the
local IdP's base URL), `client_id` (the public app client), optional `ssl_verify` (default true).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["ProvisioningError", "sign_up"]

_TARGET = "AWSCognitoIdentityProviderService.SignUp"
_MAX_RESPONSE = 64 * 1024


class ProvisioningError(Exception):
    """The IdP refused the sign-up; `message` is safe to show (the IdP's own text, never the password)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


async def sign_up(settings: Mapping[str, Any], *, email: str, password: str, attributes: Mapping[str, str]) -> str:
    """Create the user; returns the IdP's `UserSub`. Raises `ProvisioningError`."""
    endpoint = settings.get("endpoint")
    client_id = settings.get("client_id")
    if not isinstance(endpoint, str) or not isinstance(client_id, str):
        raise ProvisioningError("ConfigurationError", "portal_idp_provisioning needs 'endpoint' and 'client_id'")
    body = {
        "ClientId": client_id,
        "Username": email,
        "Password": password,
        "UserAttributes": [{"Name": "email", "Value": email}]
        + [{"Name": name, "Value": value} for name, value in attributes.items() if value],
    }
    headers = {"X-Amz-Target": _TARGET, "Content-Type": "application/x-amz-json-1.1"}
    verify = bool(settings.get("ssl_verify", True))
    try:
        async with httpx.AsyncClient(verify=verify, timeout=10.0, follow_redirects=False) as client:
            response = await client.post(endpoint, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise ProvisioningError(
            "NetworkError", f"the identity provider is unreachable ({type(exc).__name__})"
        ) from None
    if len(response.content) > _MAX_RESPONSE:
        raise ProvisioningError("InvalidResponse", "the identity provider's answer is too large")
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    if response.status_code != 200:
        kind = str(payload.get("__type") or "Error").rsplit("#", 1)[-1]
        message = str(payload.get("message") or payload.get("Message") or f"sign-up failed ({response.status_code})")
        raise ProvisioningError(kind, message)
    return str(payload.get("UserSub") or "")
