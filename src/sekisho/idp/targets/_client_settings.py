"""The settable parts of an app client, shared by CreateUserPoolClient and UpdateUserPoolClient."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sekisho.idp.errors import CognitoError
from sekisho.idp.lifetimes import UNIT_SECONDS
from sekisho.idp.models import Pool
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, optional_list, optional_map, require_str

__all__ = ["RESERVED_SCOPES", "client_settings", "is_allowed_redirect"]

RESERVED_SCOPES = ("phone", "email", "openid", "profile", "aws.cognito.signin.user.admin")
_FLOWS = ("code", "implicit", "client_credentials")
_EXPLICIT_FLOWS = (
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
)
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
_UNITS = ("seconds", "minutes", "hours", "days")
_VALIDITY_BOUNDS = {  # (min, max) in seconds
    "AccessToken": (300, 86400),
    "IdToken": (300, 86400),
    "RefreshToken": (3600, 315_360_000),
}


def is_allowed_redirect(url: str) -> bool:
    """Absolute, no fragment; HTTPS unless loopback; custom app schemes allowed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.scheme or "#" in url or len(url) > 1024:
        return False
    if parts.scheme == "https":
        return bool(parts.netloc)
    if parts.scheme == "http":
        return parts.hostname in _LOOPBACK_HOSTS
    return parts.scheme not in ("javascript", "data", "file")


def _urls(req: Request, name: str) -> list[str]:
    urls = optional_list(req, name, max_items=100) or []
    for url in urls:
        if not isinstance(url, str) or not is_allowed_redirect(url):
            raise CognitoError.invalid_parameter(f"{name} must be HTTPS or loopback HTTP URLs without fragments: {url}")
    return urls


async def _scopes(svc: Services, pool: Pool, req: Request) -> list[str]:
    scopes = optional_list(req, "AllowedOAuthScopes", max_items=50) or []
    custom = {
        f"{rs['Identifier']}/{s['ScopeName']}"
        for rs in await svc.repo.resource_servers(pool["Id"])
        for s in rs.get("Scopes", [])
    }
    for scope in scopes:
        if not isinstance(scope, str) or (scope not in RESERVED_SCOPES and scope not in custom):
            raise CognitoError("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")
    return scopes


def _validity(req: Request, settings: dict[str, Any]) -> None:
    units = optional_map(req, "TokenValidityUnits") or {}
    for which, field in (
        ("AccessToken", "AccessTokenValidity"),
        ("IdToken", "IdTokenValidity"),
        ("RefreshToken", "RefreshTokenValidity"),
    ):
        value = req.get(field)
        unit = units.get(which)
        if unit is not None and unit not in _UNITS:
            raise CognitoError.invalid_parameter(f"Invalid TokenValidityUnits value {unit}")
        if value is None or (which == "RefreshToken" and value == 0):
            continue
        if not isinstance(value, int):
            raise CognitoError("SerializationException", f"NUMBER_VALUE can not be converted to {field}")
        default_unit = "days" if which == "RefreshToken" else "hours"
        seconds = value * UNIT_SECONDS[unit or default_unit]
        low, high = _VALIDITY_BOUNDS[which]
        if not low <= seconds <= high:
            raise CognitoError.invalid_parameter(
                f"Invalid range for token validity. {which} validity must be between "
                f"{low // 60} minutes and {high // 86400} days."
            )
        settings[field] = value
    if units:
        settings["TokenValidityUnits"] = {k: v for k, v in units.items() if v}


async def client_settings(svc: Services, pool: Pool, req: Request, has_secret: bool) -> dict[str, Any]:
    """Validated settings; omitted ones take their defaults (UpdateUserPoolClient resets them, as Cognito)."""
    name = require_str(req, "ClientName", max_length=128, pattern=r"[\w\s+=,.@-]+") if "ClientName" in req else None
    flows = optional_list(req, "AllowedOAuthFlows", max_items=3) or []
    for flow in flows:
        if flow not in _FLOWS:
            raise CognitoError.invalid_parameter(f"Invalid AllowedOAuthFlows value {flow}")
    if "client_credentials" in flows:
        if len(flows) > 1:
            raise CognitoError.invalid_parameter(
                "client_credentials flow can not be selected along with code flow or implicit flow."
            )
        if not has_secret:
            raise CognitoError.invalid_parameter(
                "client_credentials flow can not be selected if client does not have a client secret."
            )
    explicit = optional_list(req, "ExplicitAuthFlows", max_items=10)
    for flow in explicit or []:
        if flow not in _EXPLICIT_FLOWS:
            raise CognitoError.invalid_parameter(f"Invalid ExplicitAuthFlows value {flow}")
    if explicit and {f.startswith("ALLOW_") for f in explicit} == {True, False}:
        raise CognitoError.invalid_parameter("Cannot mix legacy and ALLOW_ prefixed explicit auth flows.")
    callbacks = _urls(req, "CallbackURLs")
    logouts = _urls(req, "LogoutURLs")
    default_redirect = req.get("DefaultRedirectURI")
    if default_redirect is not None and default_redirect not in callbacks:
        raise CognitoError.invalid_parameter("DefaultRedirectURI must be one of the CallbackURLs.")
    providers = optional_list(req, "SupportedIdentityProviders", max_items=50) or []
    for provider in providers:
        if provider != "COGNITO":
            raise CognitoError.invalid_parameter(f"The provider {provider} does not exist for User Pool {pool['Id']}")
    scopes = await _scopes(svc, pool, req)
    oauth_enabled = bool(req.get("AllowedOAuthFlowsUserPoolClient", False))
    if oauth_enabled and (not flows or not scopes):
        raise CognitoError.invalid_parameter(
            "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows."
        )
    if "client_credentials" in flows and any(s in RESERVED_SCOPES for s in scopes):
        raise CognitoError.invalid_parameter("client_credentials flow can only be used with custom scopes.")
    prevent = req.get("PreventUserExistenceErrors") or "LEGACY"
    if prevent not in ("LEGACY", "ENABLED"):
        raise CognitoError.invalid_parameter(f"Invalid PreventUserExistenceErrors value {prevent}")
    auth_session = req.get("AuthSessionValidity") or 3
    if not isinstance(auth_session, int) or not 3 <= auth_session <= 15:
        raise CognitoError.invalid_parameter("AuthSessionValidity must be between 3 and 15 minutes.")
    rotation = req.get("RefreshTokenRotation")
    if rotation is not None:
        grace = rotation.get("RetryGracePeriodSeconds", 0) if isinstance(rotation, dict) else None
        if (
            not isinstance(rotation, dict)
            or rotation.get("Feature") not in ("ENABLED", "DISABLED")
            or not isinstance(grace, int)
            or not 0 <= grace <= 60
        ):
            raise CognitoError.invalid_parameter(
                "RefreshTokenRotation needs Feature ENABLED or DISABLED and RetryGracePeriodSeconds from 0 to 60."
            )
    settings: dict[str, Any] = {"RefreshTokenValidity": 30}
    if rotation is not None:
        settings["RefreshTokenRotation"] = {"Feature": rotation["Feature"], "RetryGracePeriodSeconds": grace}
    _validity(req, settings)
    optional = {
        "ReadAttributes": optional_list(req, "ReadAttributes"),
        "WriteAttributes": optional_list(req, "WriteAttributes"),
        "ExplicitAuthFlows": explicit,
        "SupportedIdentityProviders": providers or None,
        "CallbackURLs": callbacks or None,
        "LogoutURLs": logouts or None,
        "DefaultRedirectURI": default_redirect,
        "AllowedOAuthFlows": flows or None,
        "AllowedOAuthScopes": scopes or None,
    }
    settings |= {k: v for k, v in optional.items() if v}
    if name is not None:
        settings["ClientName"] = name
    settings |= {
        "AllowedOAuthFlowsUserPoolClient": oauth_enabled,
        "PreventUserExistenceErrors": prevent,
        "EnableTokenRevocation": bool(req.get("EnableTokenRevocation", True)),
        "EnablePropagateAdditionalUserContextData": bool(req.get("EnablePropagateAdditionalUserContextData", False)),
        "AuthSessionValidity": auth_session,
    }
    return settings
