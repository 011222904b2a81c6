"""JSON responses shaped like Kong's (`application/json; charset=utf-8`, compact, UTF-8)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

__all__ = ["JSON_MEDIA_TYPE", "kong_json"]

JSON_MEDIA_TYPE = "application/json; charset=utf-8"


def kong_json(body: Any, status: int = 200, *, headers: Mapping[str, str] | None = None) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return Response(content, status_code=status, headers=dict(headers or {}), media_type=JSON_MEDIA_TYPE)
