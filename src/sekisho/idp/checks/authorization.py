"""The checks of an authorization request, in Cognito's order; shared by /oauth2/authorize and the pages.

Order matters: until the client and its redirect_uri are known, errors go to the error page; after that
they are redirected to the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sekisho.idp.checks.errors import ErrorPage, RedirectError
from sekisho.idp.models import Client, Pool
from sekisho.idp.services import Services

__all__ = [
    "AuthorizationRequest",
    "check_client",
    "check_pkce",
    "check_redirect_uri",
    "check_response_type",
    "check_scopes",
    "validate_authorization",
]

RESERVED_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
_PASSED_ON = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "identity_provider",
    "lang",
)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    pool: Pool
    client: Client
    redirect_uri: str
    response_type: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    # The original parameters, carried from page to page (login -> confirm -> ...).
    params: dict[str, str]


async def check_client(svc: Services, pool: Pool, params: Mapping[str, str]) -> Client:
    client_id = params.get("client_id")
    if not client_id:
        raise ErrorPage("invalid_request")
    client = await svc.store.get("client", pool["Id"], client_id)
    if client is None:
        raise ErrorPage("invalid_request", client_id, "Client does not exist for this user pool")
    return client


def check_redirect_uri(client: Client, params: Mapping[str, str]) -> str:
    callbacks = client.get("CallbackURLs") or []
    redirect_uri = params.get("redirect_uri") or client.get("DefaultRedirectURI")
    # Exact string match: a trailing slash or another port is a different URL.
    if not redirect_uri or redirect_uri not in callbacks:
        raise ErrorPage("redirect_mismatch", client["ClientId"])
    return str(redirect_uri)


def check_response_type(client: Client, params: Mapping[str, str]) -> str:
    response_type = params.get("response_type")
    if response_type not in ("code", "token"):
        raise RedirectError("invalid_request")
    flow = "code" if response_type == "code" else "implicit"
    if not client.get("AllowedOAuthFlowsUserPoolClient") or flow not in (client.get("AllowedOAuthFlows") or []):
        raise RedirectError("unauthorized_client")
    if "COGNITO" not in (client.get("SupportedIdentityProviders") or []):
        raise RedirectError("unauthorized_client")
    provider = params.get("identity_provider")
    if provider is not None and provider != "COGNITO":
        raise RedirectError("invalid_request", "Identity provider is not enabled for this client")
    return response_type


async def check_scopes(svc: Services, pool: Pool, client: Client, params: Mapping[str, str]) -> list[str]:
    allowed = list(client.get("AllowedOAuthScopes") or [])
    requested = params.get("scope")
    if requested is None or not requested.strip():
        return allowed
    custom = {
        f"{rs['Identifier']}/{s['ScopeName']}"
        for rs in await svc.repo.resource_servers(pool["Id"])
        for s in rs["Scopes"]
    }
    granted: list[str] = []
    for scope in requested.split():
        if scope not in RESERVED_SCOPES and scope not in custom:
            raise RedirectError("invalid_scope")
        # A known scope the client may not use is silently dropped.
        if scope in allowed and scope not in granted:
            granted.append(scope)
    if not granted:
        raise RedirectError("invalid_scope")
    return granted


def check_pkce(params: Mapping[str, str]) -> str | None:
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None and method is None:
        return None
    if not challenge or method != "S256" or not 43 <= len(challenge) <= 128:
        raise RedirectError("invalid_request")
    return challenge


async def validate_authorization(svc: Services, pool: Pool, params: Mapping[str, str]) -> AuthorizationRequest:
    client = await check_client(svc, pool, params)
    redirect_uri = check_redirect_uri(client, params)
    try:
        response_type = check_response_type(client, params)
        scopes = await check_scopes(svc, pool, client, params)
        challenge = check_pkce(params)
    except RedirectError as exc:
        exc.redirect_uri = redirect_uri
        exc.state = params.get("state")
        exc.fragment = params.get("response_type") == "token"
        raise
    kept = {k: params[k] for k in _PASSED_ON if params.get(k) is not None}
    return AuthorizationRequest(
        pool, client, redirect_uri, response_type, scopes, params.get("state"), params.get("nonce"), challenge, kept
    )
