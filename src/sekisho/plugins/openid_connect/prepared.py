"""What an `openid-connect` configuration turns into once per snapshot: provider, clients, verifiers, cookies."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sekisho.oidc.backchannel import LOGOUT_TOKEN_TYPES, LogoutStore
from sekisho.oidc.client import SECRET_ALGORITHMS, OAuthClient, client_assertion_key
from sekisho.oidc.discovery import Provider, ProviderMetadata
from sekisho.oidc.http import OutboundHttp
from sekisho.oidc.jwks import ALG_KEY_TYPES
from sekisho.oidc.session import CookieCodec, SessionManager, SessionOptions, SessionStorage
from sekisho.oidc.tokens import HS_ALGS, TokenVerifier
from sekisho.plugins.openid_connect.replay import VerdictBook
from sekisho.plugins.openid_connect.schema import client_auth_methods, per_client

__all__ = ["ClientRegistration", "Prepared", "ProviderPool", "TtlCache"]


@dataclass(frozen=True, slots=True)
class ClientRegistration:
    index: int
    client_id: str
    oauth: OAuthClient


class ProviderPool:
    """One `Provider` (metadata + keys cache) and HTTP client per distinct provider setting, per worker."""

    def __init__(self) -> None:
        self._http: dict[tuple[bool | str, float], OutboundHttp] = {}
        self._providers: dict[tuple[Any, ...], Provider] = {}
        # Shared by every plugin instance of this worker; keys hold a salt (`cache_tokens_salt`, else a random
        # one per instance), so only instances configured with the same salt meet each other's entries.
        self.token_cache = TtlCache(10000)
        self.userinfo_cache = TtlCache(10000)

    def http(self, verify: bool | str, timeout: float) -> OutboundHttp:
        key = (verify, timeout)
        if key not in self._http:
            self._http[key] = OutboundHttp(verify=verify, timeout=timeout)
        return self._http[key]

    def provider(self, conf: Mapping[str, Any], http: OutboundHttp) -> Provider:
        overrides = {
            name: conf.get(name)
            for name in (
                "authorization_endpoint",
                "token_endpoint",
                "introspection_endpoint",
                "revocation_endpoint",
                "userinfo_endpoint",
                "end_session_endpoint",
            )
        }
        key = (
            conf["issuer"],
            id(http),
            float(conf["rediscovery_lifetime"]),
            tuple(conf.get("extra_jwks_uris") or ()),
            tuple(sorted((k, v or "") for k, v in overrides.items())),
            tuple(conf.get("issuers_allowed") or ()),
        )
        if key not in self._providers:
            self._providers[key] = Provider(
                conf["issuer"],
                http,
                rediscovery_lifetime=float(conf["rediscovery_lifetime"]),
                extra_jwks_uris=list(conf.get("extra_jwks_uris") or ()),
                overrides=overrides,
                accepted_issuers=list(conf.get("issuers_allowed") or ()),
            )
        return self._providers[key]

    async def close(self) -> None:
        for http in self._http.values():
            await http.close()


class TtlCache:
    """A bounded map of values that expire (verdicts about tokens, keyed by a hash of the token)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, tuple[float, Any]] = OrderedDict()

    @staticmethod
    def key(*parts: str) -> bytes:
        return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).digest()

    def get(self, key: bytes) -> Any:
        hit = self._items.get(key)
        if hit is None:
            return None
        if time.time() >= hit[0]:
            del self._items[key]
            return None
        return hit[1]

    def discard(self, key: bytes) -> None:
        self._items.pop(key, None)

    def put(self, key: bytes, value: Any, expires_at: float) -> None:
        if expires_at <= time.time():
            return
        self._items[key] = (expires_at, value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def _upstream_header_names(conf: Mapping[str, Any]) -> frozenset[str]:
    """Header names this configuration sets upstream, normalised (`_` -> `-`, lower case); a client-supplied
    copy of any of them is removed from every request. `Authorization` is the credential itself: left alone."""
    names = [conf.get(f"upstream_{item}_header") for item in _HEADER_ITEMS]
    names += list(conf.get("upstream_headers_names") or [])
    normalised = {str(n).split(":", 1)[0].lower().replace("_", "-") for n in names if n}
    return frozenset(normalised - {"authorization"})


_HEADER_ITEMS = ("access_token", "id_token", "refresh_token", "introspection", "user_info", "session_id")


@dataclass(slots=True)
class Prepared:
    conf: Mapping[str, Any]
    provider: Provider
    clients: list[ClientRegistration]
    session_storage: SessionStorage | None
    _verifier: TokenVerifier | None = None
    logout_store: LogoutStore | None = None  # set when back-channel logout is configured
    _logout_verifier: TokenVerifier | None = None
    introspection_cache: TtlCache = field(default_factory=lambda: TtlCache(10000))
    token_cache: TtlCache = field(default_factory=lambda: TtlCache(10000))
    userinfo_cache: TtlCache = field(default_factory=lambda: TtlCache(10000))
    token_cache_salt: str = field(default_factory=lambda: secrets.token_hex(16))
    identity_headers: frozenset[str] = frozenset()
    # (upstream?, item, header name) for the configured `<direction>_<item>_header`s, and
    # (upstream?, claim, header name) for `<direction>_headers_claims`/`_names`: computed once, not per request
    item_headers: tuple[tuple[bool, str, str], ...] = ()
    claim_headers: tuple[tuple[bool, str, str], ...] = ()
    #: remembered outcomes per credential (None: this configuration never replays, see `replay`)
    verdicts: VerdictBook | None = None
    bearer_in_header: bool = False
    logout_methods: frozenset[str] = frozenset()
    anonymous: bool = False
    _secret: bytes | None = None
    _sessions: dict[bytes, SessionManager] = field(default_factory=dict)
    _auth_codecs: dict[bytes, CookieCodec] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        conf: Mapping[str, Any],
        pool: ProviderPool,
        session_storage: SessionStorage | None,
        logout_store: LogoutStore | None = None,
    ) -> Prepared:
        verify: bool | str = conf["ssl_verify"]
        if verify and conf.get("ssl_ca_bundle"):
            verify = str(conf["ssl_ca_bundle"])
        http = pool.http(verify, float(conf["timeout"]) / 1000.0)
        provider = pool.provider(conf, http)
        clients: list[ClientRegistration] = []
        for index, client_id in enumerate(conf.get("client_id") or []):
            secret = per_client(conf.get("client_secret"), index)
            methods = client_auth_methods(conf, index)
            alg = per_client(conf.get("client_alg"), index)
            secret_alg = alg if alg in SECRET_ALGORITHMS else "HS256"
            key = None
            if "private_key_jwt" in methods.values():
                jwk = per_client(conf.get("client_jwk"), index)
                key = client_assertion_key(jwk, alg if alg not in SECRET_ALGORITHMS else None)
            client = OAuthClient(
                http,
                client_id=client_id,
                client_secret=secret,
                auth=per_client(conf.get("client_auth"), index),
                endpoint_auth=methods,  # type: ignore[arg-type]  # the schema allows only ClientAuth values
                assertion_key=key,
                secret_alg=secret_alg,
            )
            clients.append(ClientRegistration(index, client_id, client))
        return cls(
            conf=conf,
            provider=provider,
            clients=clients,
            session_storage=session_storage,
            logout_store=logout_store,
            token_cache=pool.token_cache,
            userinfo_cache=pool.userinfo_cache,
            token_cache_salt=str(conf.get("cache_tokens_salt") or secrets.token_hex(16)),
            identity_headers=_upstream_header_names(conf),
            verdicts=VerdictBook() if logout_store is None and len(clients) < 2 else None,
            bearer_in_header="header" in (conf.get("bearer_token_param_type") or ()),
            logout_methods=frozenset(conf.get("logout_methods") or ()),
            anonymous=bool(conf.get("anonymous")),
            item_headers=tuple(
                (direction == "upstream", item, str(conf[f"{direction}_{item}_header"]))
                for direction in ("upstream", "downstream")
                for item in _HEADER_ITEMS
                if conf.get(f"{direction}_{item}_header")
            ),
            claim_headers=tuple(
                (direction == "upstream", str(claim), str(name))
                for direction in ("upstream", "downstream")
                for claim, name in zip(
                    conf.get(f"{direction}_headers_claims") or [],
                    conf.get(f"{direction}_headers_names") or [],
                    strict=False,
                )
            ),
        )

    # -- per-client values ------------------------------------------------------------------------------
    def per_client(self, name: str, client: ClientRegistration | None) -> Any:
        return per_client(self.conf.get(name), client.index if client else 0)

    @property
    def client_ids(self) -> list[str]:
        return [c.client_id for c in self.clients]

    # -- verification -------------------------------------------------------------------------------------
    def _pinned_algs(self, metadata: ProviderMetadata) -> tuple[set[str], list[str]]:
        advertised = [a for a in metadata.id_token_signing_alg_values_supported if a in ALG_KEY_TYPES]
        algs = set(advertised or ["RS256"])
        secrets: list[str] = []
        if self.conf["enable_hs_signatures"]:
            secrets = [s for s in (self.conf.get("client_secret") or []) if s]
            if secrets:
                algs |= HS_ALGS
        return algs, secrets

    def verifier(self, metadata: ProviderMetadata) -> TokenVerifier:
        if self._verifier is None:
            algs, secrets = self._pinned_algs(metadata)
            self._verifier = TokenVerifier(self.provider.keys, allowed_algs=algs, hs_secrets=secrets)
        return self._verifier

    def logout_verifier(self, metadata: ProviderMetadata) -> TokenVerifier:
        """Logout tokens: the same keys and pinned algorithms as ID tokens, their own `typ`, and no cache
        shared with the verifier of ID and access tokens (a logout token is never either)."""
        if self._logout_verifier is None:
            algs, secrets = self._pinned_algs(metadata)
            self._logout_verifier = TokenVerifier(
                self.provider.keys,
                allowed_algs=algs,
                hs_secrets=secrets,
                cache_size=0,
                accepted_types=LOGOUT_TOKEN_TYPES,
            )
        return self._logout_verifier

    def cache_expiry(self, expires_at: Any) -> float:
        """Until when a token-bound answer may be cached: the token's expiry when known, else `cache_ttl`;
        never longer than `cache_ttl_max` when that is set."""
        now = time.time()
        until = float(expires_at) if isinstance(expires_at, int | float) and not isinstance(expires_at, bool) else None
        if until is None:
            until = now + float(self.conf["cache_ttl"])
        if self.conf.get("cache_ttl_max"):
            until = min(until, now + float(self.conf["cache_ttl_max"]))
        return until

    def logout_state_ttl(self) -> float:
        """How long a revocation (and the sub/sid session index) must outlive the sessions it may end."""
        absolute = self.conf.get("session_absolute_timeout")
        return float(absolute) if absolute else 30 * 86400.0

    def issuers(self, metadata: ProviderMetadata) -> list[str]:
        return [metadata.issuer, *(self.conf.get("issuers_allowed") or [])]

    def realm(self) -> str:
        return urlsplit(self.conf["issuer"]).hostname or "kong"

    # -- cookies ------------------------------------------------------------------------------------------
    def sessions(self, secret: bytes) -> SessionManager:
        manager = self._sessions.get(secret)
        if manager is None:
            c = self.conf
            options = SessionOptions(
                cookie_name=c["session_cookie_name"],
                path=c["session_cookie_path"],
                domain=c.get("session_cookie_domain"),
                same_site=c["session_cookie_samesite"],
                secure=c.get("session_cookie_secure"),
                http_only=c["session_cookie_httponly"],
                rolling_timeout=float(c["session_cookie_lifetime"]),
                idling_timeout=float(c["session_cookie_idletime"]) if c.get("session_cookie_idletime") else None,
                absolute_timeout=float(c["session_absolute_timeout"]) if c.get("session_absolute_timeout") else None,
                max_chunk_size=int(c["session_cookie_maxsize"]),
            )
            manager = SessionManager(CookieCodec(secret), options, self.session_storage)
            self._sessions[secret] = manager
        return manager

    def authorization_cookie(self, secret: bytes) -> CookieCodec:
        codec = self._auth_codecs.get(secret)
        if codec is None:
            codec = CookieCodec(secret, purpose=b"sekisho-authorization")
            self._auth_codecs[secret] = codec
        return codec

    def session_secret(self, derive: Callable[[str], bytes]) -> bytes:
        """`session_secret`, else the node's secret derived for this issuer (stable for the worker's life)."""
        if self._secret is None:
            configured = self.conf.get("session_secret")
            self._secret = str(configured).encode() if configured else derive(self.secret_purpose())
        return self._secret

    def secret_purpose(self) -> str:
        """Sessions of plugin instances pointing at the same issuer share a derived secret, like Kong's
        secret stored per issuer."""
        return "openid-connect:" + hashlib.sha256(self.conf["issuer"].encode()).hexdigest()
