"""The back-channel logout endpoint of `openid-connect` (OpenID Connect Back-Channel Logout 1.0, §2.5–§2.8).

The provider POSTs `logout_token=<JWT>` form-encoded. A valid token answers 200 and records the logout: the
sub/sid is put on the revocation list (checked whenever a session is opened) and, with server-side sessions,
the indexed sessions are deleted at once. Anything else — wrong content type, oversized or malformed body,
a token failing any check, a replayed `jti`, even our own misconfiguration — answers 400 `invalid_request`.
Every answer carries `Cache-Control: no-store`.
"""

from __future__ import annotations

import time
from typing import NoReturn
from urllib.parse import parse_qsl

from sekisho.oidc.backchannel import check_logout_token, logout_subjects, normalised_issuer
from sekisho.oidc.errors import ProviderError, TokenError
from sekisho.pdk import PDK
from sekisho.plugins.openid_connect.prepared import Prepared

__all__ = ["MAX_BODY_BYTES", "answer_backchannel_logout", "is_backchannel_logout"]

MAX_BODY_BYTES = 64 * 1024
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class _Invalid(Exception):
    pass


def is_backchannel_logout(kong: PDK, prepared: Prepared) -> bool:
    suffix = prepared.conf.get("backchannel_logout_uri_suffix")
    request = kong.request
    return bool(suffix) and request.get_method() == "POST" and request.get_path().endswith(str(suffix))


async def _logout_token(kong: PDK) -> str:
    request = kong.request
    media_type = (request.get_header("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise _Invalid("the body must be application/x-www-form-urlencoded")
    declared = request.get_header("content-length")
    if declared is not None and (not declared.strip().isdigit() or int(declared) > MAX_BODY_BYTES):
        raise _Invalid("the body is too large")
    raw = await request.get_raw_body()
    if len(raw) > MAX_BODY_BYTES:
        raise _Invalid("the body is too large")
    try:
        fields = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        raise _Invalid("the body is not form-encoded") from None
    tokens = [value for name, value in fields if name == "logout_token"]
    if len(tokens) != 1 or not tokens[0]:
        raise _Invalid("exactly one logout_token is required")
    return tokens[0]


async def _record_logout(kong: PDK, prepared: Prepared) -> None:
    store = prepared.logout_store
    if store is None:
        raise _Invalid("back-channel logout is not configured")
    try:
        metadata = await prepared.provider.metadata()
    except ProviderError as exc:
        kong.log.err("openid-connect: back-channel logout: discovery failed: ", exc.reason)
        raise _Invalid("the provider is unavailable") from None
    if not prepared.client_ids:
        kong.log.err("openid-connect: back-channel logout needs client_id")
        raise _Invalid("the relying party is misconfigured")
    token = await _logout_token(kong)
    conf = prepared.conf
    max_age = float(conf["backchannel_logout_token_max_age"])
    leeway = float(conf["leeway"])
    try:
        verified = await prepared.logout_verifier(metadata).verify(token)
        claims = check_logout_token(
            verified,
            issuers=prepared.issuers(metadata),
            client_ids=prepared.client_ids,
            max_age=max_age,
            leeway=leeway,
        )
    except TokenError as exc:
        raise _Invalid(exc.reason) from None
    iss = normalised_issuer(str(claims["iss"]))
    if not await store.remember_jti(iss, str(claims["jti"]), max_age + 2 * leeway):
        raise _Invalid("the logout token was already used")
    keys = logout_subjects(iss, claims.get("sub"), claims.get("sid"))
    await store.revoke(keys, time.time(), prepared.logout_state_ttl())
    if prepared.session_storage is not None:
        for session_id in await store.indexed_sessions(keys):
            await prepared.session_storage.delete(session_id)


async def answer_backchannel_logout(kong: PDK, prepared: Prepared) -> NoReturn:
    """Handle the request (already known to be for the endpoint) and answer it."""
    try:
        await _record_logout(kong, prepared)
    except _Invalid as invalid:
        kong.log.notice("openid-connect: back-channel logout refused: ", str(invalid))
        kong.response.exit(400, {"error": "invalid_request", "error_description": str(invalid)}, dict(_NO_STORE))
    except ProviderError as exc:  # logout state unavailable: the provider must retry, so no 200
        kong.log.err("openid-connect: back-channel logout could not be recorded: ", exc.reason)
        kong.response.exit(400, {"error": "invalid_request", "error_description": "try again later"}, dict(_NO_STORE))
    kong.log.info("openid-connect: back-channel logout recorded")
    kong.response.exit(200, None, dict(_NO_STORE))
