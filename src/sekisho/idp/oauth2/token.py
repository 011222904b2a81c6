"""`POST /oauth2/token`: authorization_code (+PKCE S256), refresh_token and client_credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sekisho.idp.errors import OAuth2Error
from sekisho.idp.models import Client, Pool
from sekisho.idp.oauth2.client_auth import authenticate_client, read_urlencoded
from sekisho.idp.oauth2.context import domain_context
from sekisho.idp.services import Services
from sekisho.idp.tokens import (
    IssuedTokens,
    TokenRequest,
    issue_client_credentials_token,
    issue_tokens,
    refresh_token_record,
    refresh_tokens,
)

__all__ = ["oauth_error_response", "token"]

_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def oauth_error_response(exc: OAuth2Error) -> Response:
    return JSONResponse(exc.body(), status_code=exc.status, headers=_NO_STORE)


async def token(svc: Services, request: Request) -> Response:
    ctx = await domain_context(svc, request)
    if ctx is None:
        return JSONResponse({"error": "invalid_request"}, status_code=404)
    try:
        form = await read_urlencoded(request)
        client = await authenticate_client(svc, ctx.pool, request, form)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            tokens = await _authorization_code(svc, ctx.pool, client, form)
        elif grant == "refresh_token":
            tokens = await _refresh_token(svc, ctx.pool, client, form)
        elif grant == "client_credentials":
            tokens = await _client_credentials(svc, ctx.pool, client, form)
        elif not grant:
            raise OAuth2Error("invalid_request")
        else:
            raise OAuth2Error("unsupported_grant_type")
    except OAuth2Error as exc:
        return oauth_error_response(exc)
    body: dict[str, Any] = {}
    if tokens.id_token:
        body["id_token"] = tokens.id_token
    body["access_token"] = tokens.access_token
    if tokens.refresh_token:
        body["refresh_token"] = tokens.refresh_token
    body |= {"expires_in": tokens.expires_in, "token_type": "Bearer"}
    return JSONResponse(body, headers=_NO_STORE)


def _oauth_enabled(client: Client, flow: str) -> bool:
    return bool(client.get("AllowedOAuthFlowsUserPoolClient")) and flow in (client.get("AllowedOAuthFlows") or [])


async def _authorization_code(svc: Services, pool: Pool, client: Client, form: Mapping[str, str]) -> IssuedTokens:
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    if not code or not redirect_uri:
        raise OAuth2Error("invalid_request")
    if not _oauth_enabled(client, "code"):
        raise OAuth2Error("unauthorized_client")
    # Taken (deleted) first: a code is single use even when this exchange fails.
    record = await svc.store.take("authorization_code", "", code[:200])
    if (
        record is None
        or record["pool_id"] != pool["Id"]
        or record["client_id"] != client["ClientId"]
        or record["redirect_uri"] != redirect_uri
        or record["expires_at"] <= svc.clock.now()
    ):
        raise OAuth2Error("invalid_grant")
    challenge = record.get("code_challenge")
    if challenge:
        verifier = form.get("code_verifier")
        if not verifier:
            raise OAuth2Error("invalid_request", "Missing code_verifier")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not hmac.compare_digest(digest, challenge):
            raise OAuth2Error("invalid_grant")
    user = await svc.store.get("user", pool["Id"], record["user_key"])
    if user is None or not user.get("Enabled", True):
        raise OAuth2Error("invalid_grant")
    _check_read_permissions(client, record["scopes"])
    request = TokenRequest(
        pool, client, user, record["scopes"], record["auth_time"], from_authorization_server=True, nonce=record["nonce"]
    )
    return await issue_tokens(svc, request)


def _check_read_permissions(client: Client, scopes: list[str]) -> None:
    read = client.get("ReadAttributes")
    if read and "email" in scopes and "email" in read and "email_verified" not in read:
        raise OAuth2Error("invalid_grant")
    if read and "phone" in scopes and "phone_number" in read and "phone_number_verified" not in read:
        raise OAuth2Error("invalid_grant")


async def _refresh_token(svc: Services, pool: Pool, client: Client, form: Mapping[str, str]) -> IssuedTokens:
    token = form.get("refresh_token")
    if not token:
        raise OAuth2Error("invalid_request")
    record = await refresh_token_record(svc, pool, token)
    if record is None or record["client_id"] != client["ClientId"]:
        raise OAuth2Error("invalid_grant")
    user = await svc.store.get("user", pool["Id"], record["user_key"])
    if user is None or not user.get("Enabled", True):
        raise OAuth2Error("invalid_grant")
    return await refresh_tokens(svc, pool, client, user, record)


async def _client_credentials(svc: Services, pool: Pool, client: Client, form: Mapping[str, str]) -> IssuedTokens:
    if not client.get("ClientSecret") or not _oauth_enabled(client, "client_credentials"):
        raise OAuth2Error("unauthorized_client")
    allowed = [s for s in client.get("AllowedOAuthScopes") or [] if "/" in s]
    requested = form.get("scope")
    if requested is None or not requested.strip():
        scopes = allowed
    else:
        scopes = []
        for scope in requested.split():
            if scope not in allowed:
                raise OAuth2Error("invalid_scope")
            if scope not in scopes:
                scopes.append(scope)
    if not scopes:
        raise OAuth2Error("invalid_scope")
    return await issue_client_credentials_token(svc, pool, client, scopes)
