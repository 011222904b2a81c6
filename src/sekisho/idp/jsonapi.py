"""The AWS JSON 1.1 endpoint: `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Action>`."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets import TARGETS

__all__ = ["handle_json_api", "read_capped_body"]

log = logging.getLogger("sekisho.idp.api")
_PREFIX = "AWSCognitoIdentityProviderService."
_CONTENT_TYPE = "application/x-amz-json-1.1"


class BodyTooLarge(Exception):
    pass


async def read_capped_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _reply(status: int, body: dict[str, Any], request_id: str) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type=_CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )


def _error(error: CognitoError, request_id: str) -> Response:
    response = _reply(error.status, {"__type": error.type_name, "message": error.message}, request_id)
    response.headers["x-amzn-ErrorType"] = f"{error.type_name}:"
    return response


async def handle_json_api(svc: Services, request: Request) -> Response:
    request_id = str(uuid.uuid4())
    target = request.headers.get("x-amz-target", "")
    action = target.removeprefix(_PREFIX) if target.startswith(_PREFIX) else None
    handler = TARGETS.get(action or "")
    if handler is None:
        return _error(CognitoError("UnknownOperationException", f"Unknown operation {target!r}"), request_id)
    try:
        raw = await read_capped_body(request, svc.settings.max_body_bytes)
    except BodyTooLarge:
        return _error(CognitoError("RequestEntityTooLargeException", "Request body is too large", 413), request_id)
    try:
        payload = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _error(
            CognitoError("SerializationException", "Start of structure or map found where not expected."), request_id
        )
    if not isinstance(payload, dict):
        return _error(CognitoError("SerializationException", "Start of list found where not expected"), request_id)
    try:
        result = await handler(svc, payload)
    except CognitoError as exc:
        log.info("%s -> %s", action, exc.type_name)
        return _error(exc, request_id)
    except (TypeError, AttributeError, KeyError, ValueError):
        # A member of an unexpected JSON type that no check caught: the request is refused as AWS's edge does,
        # and the traceback is logged because it points at a missing check.
        log.warning("%s: request with unexpected member types", action, exc_info=True)
        return _error(CognitoError("SerializationException", "Unexpected type in the request"), request_id)
    return _reply(200, result, request_id)
