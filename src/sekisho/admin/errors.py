"""Admin API error responses: Kong's `{"code", "name", "message", "fields"}` for database errors, and
`{"message": ...}` for everything the HTTP layer itself refuses."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sekisho.admin.responses import kong_json
from sekisho.errors import ErrorCode, StoreError

__all__ = [
    "AdminHTTPError",
    "method_not_allowed",
    "not_found",
    "store_error_response",
    "unexpected_error_response",
]


class AdminHTTPError(Exception):
    """Answer with `status` and a `{"message": ...}` body (or `body` verbatim)."""

    def __init__(
        self, status: int, message: str | None = None, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message or str(status))
        self.status = status
        self.body = body if body is not None else ({"message": message} if message is not None else None)
        self.headers = headers or {}

    def response(self) -> Response:
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        return kong_json(self.body, self.status, headers=self.headers)


def not_found(message: str = "Not found") -> AdminHTTPError:
    return AdminHTTPError(404, message)


def method_not_allowed() -> AdminHTTPError:
    return AdminHTTPError(405, "Method not allowed")


def store_error_response(exc: StoreError) -> Response:
    """Map a database error to Kong's status and body (kong/api/endpoints.lua `handle_error`)."""
    if exc.code is ErrorCode.DATABASE_ERROR:
        return unexpected_error_response()
    return kong_json(exc.to_kong(), exc.code.http_status)


def unexpected_error_response() -> Response:
    return kong_json({"message": "An unexpected error occurred"}, 500)
