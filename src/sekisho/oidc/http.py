"""Outbound HTTP to identity providers: explicit timeouts, TLS verification on by default, capped bodies."""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sekisho.oidc.errors import ProviderError

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpResponse", "OutboundHttp"]

MAX_RESPONSE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ProviderError("provider answered with invalid JSON") from exc


class OutboundHttp:
    """One pooled client per verification setting. `verify` is True, False or a CA bundle path."""

    def __init__(
        self, *, verify: bool | str = True, timeout: float = 10.0, max_bytes: int = MAX_RESPONSE_BYTES
    ) -> None:
        import httpx  # here, not at import: a worker without OpenID Connect routes never loads it

        self._httpx = httpx
        self._max_bytes = max_bytes
        verify_arg: bool | ssl.SSLContext = (
            verify if isinstance(verify, bool) else ssl.create_default_context(cafile=verify)
        )
        self._client: httpx.AsyncClient = httpx.AsyncClient(
            verify=verify_arg,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": "sekisho-oidc"},
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        httpx = self._httpx
        try:
            async with self._client.stream(method, url, headers=headers, data=data, params=params) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > self._max_bytes:
                        raise ProviderError(f"response from {_origin(url)} is larger than {self._max_bytes} bytes")
                return HttpResponse(response.status_code, dict(response.headers), bytes(body))
        except httpx.TimeoutException as exc:
            raise ProviderError(f"timeout calling {_origin(url)}") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"cannot reach {_origin(url)}: {type(exc).__name__}") from exc

    async def get_json(self, url: str, *, headers: Mapping[str, str] | None = None) -> Any:
        response = await self.request("GET", url, headers={"Accept": "application/json", **(headers or {})})
        if response.status != 200:
            raise ProviderError(f"{_origin(url)} answered {response.status}")
        return response.json()

    async def close(self) -> None:
        await self._client.aclose()


def _origin(url: str) -> str:
    """Scheme, host and path of a URL, never its query (which may carry secrets)."""
    parsed = urlsplit(url)
    try:
        port = parsed.port
    except ValueError:
        port = None
    return f"{parsed.scheme}://{parsed.hostname or ''}{':' + str(port) if port else ''}{parsed.path}"
