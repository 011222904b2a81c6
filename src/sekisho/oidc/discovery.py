"""Provider metadata (OpenID Connect Discovery 1.0), cached per issuer, with the last good document kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sekisho.oidc.errors import ProviderError
from sekisho.oidc.http import OutboundHttp
from sekisho.oidc.jwks import JwksCache

__all__ = ["WELL_KNOWN", "Provider", "ProviderMetadata", "discovery_url"]

WELL_KNOWN = "/.well-known/openid-configuration"
_ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "end_session_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
)


def discovery_url(issuer: str) -> str:
    """Kong accepts either the issuer or the full discovery URL as `issuer`."""
    if issuer.rstrip("/").endswith(WELL_KNOWN):
        return issuer
    return issuer.rstrip("/") + WELL_KNOWN


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    end_session_endpoint: str | None = None
    revocation_endpoint: str | None = None
    introspection_endpoint: str | None = None
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)
    code_challenge_methods_supported: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Any, overrides: Mapping[str, str | None] | None = None) -> ProviderMetadata:
        if not isinstance(document, dict) or not isinstance(document.get("issuer"), str):
            raise ProviderError("discovery document has no issuer")
        values: dict[str, Any] = {"issuer": document["issuer"], "raw": document}
        for name in _ENDPOINTS:
            value = (overrides or {}).get(name) or document.get(name)
            if value is not None and not isinstance(value, str):
                raise ProviderError(f"discovery document has an invalid {name}")
            values[name] = value
        for name in (
            "id_token_signing_alg_values_supported",
            "token_endpoint_auth_methods_supported",
            "code_challenge_methods_supported",
        ):
            listed = document.get(name)
            if isinstance(listed, list) and all(isinstance(v, str) for v in listed):
                values[name] = tuple(listed)
        return cls(**values)


class Provider:
    """One OpenID provider: its metadata and keys, fetched lazily, refreshed at most once per interval."""

    def __init__(
        self,
        issuer: str,
        http: OutboundHttp,
        *,
        rediscovery_lifetime: float = 30.0,
        extra_jwks_uris: Sequence[str] = (),
        overrides: Mapping[str, str | None] | None = None,
        accepted_issuers: Sequence[str] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer_config = issuer
        # Discovery §4.3: the document's issuer must be the one configured (or one explicitly accepted),
        # otherwise a compromised or mistyped discovery URL would decide which tokens we trust.
        self._accepted_issuers = {issuer.split(WELL_KNOWN)[0].rstrip("/")} | {i.rstrip("/") for i in accepted_issuers}
        self.discovery_url = discovery_url(issuer)
        self._http = http
        self._overrides = dict(overrides or {})
        self._extra_jwks = list(extra_jwks_uris)
        self._lifetime = rediscovery_lifetime
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.keys = JwksCache(http, self._jwks_uris, min_refresh_interval=rediscovery_lifetime, clock=clock)

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is not None:
            return self._metadata
        return await self.rediscover(force=False)

    async def rediscover(self, *, force: bool = True) -> ProviderMetadata:
        async with self._lock:
            if self._metadata is not None and (not force or self._clock() - self._fetched_at < self._lifetime):
                return self._metadata
            self._fetched_at = self._clock()
            try:
                document = await self._http.get_json(self.discovery_url)
                metadata = ProviderMetadata.from_document(document, self._overrides)
                if metadata.issuer.rstrip("/") not in self._accepted_issuers:
                    raise ProviderError("discovery document names another issuer")
                self._metadata = metadata
            except ProviderError:
                if self._metadata is None:
                    raise
            return self._metadata

    async def _jwks_uris(self) -> list[str]:
        metadata = await self.metadata()
        uris = [metadata.jwks_uri] if metadata.jwks_uri else []
        uris.extend(u for u in self._extra_jwks if u not in uris)
        if not uris:
            raise ProviderError("provider publishes no jwks_uri")
        return uris
