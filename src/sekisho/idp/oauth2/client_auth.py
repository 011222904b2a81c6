"""Client authentication at the token and revocation endpoints: client_secret_basic, client_secret_post, public."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from urllib.parse import unquote

from starlette.requests import Request

from sekisho.idp.errors import OAuth2Error
from sekisho.idp.models import Client, Pool
from sekisho.idp.services import Services

__all__ = ["authenticate_client", "read_urlencoded"]

_MAX_BODY = 65_536


async def read_urlencoded(request: Request) -> dict[str, str]:
    from urllib.parse import parse_qsl

    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuth2Error("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _MAX_BODY:
        raise OAuth2Error("invalid_request", "Request body is too large", status=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_BODY:
            raise OAuth2Error("invalid_request", "Request body is too large", status=413)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise OAuth2Error("invalid_request") from None
    return dict(pairs)


def _basic(request: Request, status: int) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise OAuth2Error("invalid_client", status=status)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuth2Error("invalid_client", status=status) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuth2Error("invalid_client", status=status)
    return unquote(client_id), unquote(secret)


async def authenticate_client(
    svc: Services, pool: Pool, request: Request, form: Mapping[str, str], *, status: int = 400
) -> Client:
    """The calling client; `invalid_client` (with `status`) on an unknown client or a wrong/missing secret."""
    basic = _basic(request, status)
    if basic is not None:
        client_id, secret = basic
        if form.get("client_id") not in (None, client_id):
            raise OAuth2Error("invalid_client", status=status)
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id:
        raise OAuth2Error("invalid_client", status=status)
    client = await svc.store.get("client", pool["Id"], client_id)
    if client is None:
        raise OAuth2Error("invalid_client", status=status)
    expected = client.get("ClientSecret")
    if expected and not hmac.compare_digest(expected.encode(), secret.encode()):
        raise OAuth2Error("invalid_client", status=status)
    return client
