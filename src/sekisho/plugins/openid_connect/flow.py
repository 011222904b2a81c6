"""The access phase of `openid-connect`, step by step as Kong's handler does it (spec §3).

One `AccessFlow` per request: pre-checks, logout, session, credential search (bearer, refresh token,
authorization code), verification, claim-based authorization, consumer mapping, headers, session save and
the login action. Failures end in Kong's 401/403/500 answers, or their `*_redirect_uri`s, or the anonymous
consumer when `anonymous` is set.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any, NoReturn
from urllib.parse import parse_qsl, urlencode

from sekisho.oidc.backchannel import normalised_issuer, session_subjects
from sekisho.oidc.client import TokenResponse, authorization_url
from sekisho.oidc.discovery import ProviderMetadata
from sekisho.oidc.errors import OIDCError, ProviderError, TokenError
from sekisho.oidc.pkce import challenge_s256, new_verifier
from sekisho.oidc.randomness import new_nonce, new_state
from sekisho.oidc.redirects import same_origin_path
from sekisho.oidc.session import Session, SessionManager
from sekisho.oidc.tokens import check_access_token, check_id_token, claim_at
from sekisho.pdk import PDK, HeaderOp
from sekisho.plugins.openid_connect.backchannel import answer_backchannel_logout, is_backchannel_logout
from sekisho.plugins.openid_connect.prepared import ClientRegistration, Prepared
from sekisho.plugins.openid_connect.replay import (
    BEARER_KEY,
    SESSION_KEY,
    Verdict,
    logout_in_url,
    request_key,
    strip_spoofed_headers,
)

__all__ = ["AccessFlow"]

_NO_CACHE = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
_TOKEN_METHODS = ("bearer", "introspection", "userinfo")


class _Deny(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def parse_cookies(header: str | None) -> dict[str, str]:
    """`name=value; ...` (RFC 6265 §4.2.1); the first of a repeated name wins; quotes around a value dropped.
    Never raises: a malformed header just yields fewer cookies."""
    if not header or len(header) > 64 * 1024:
        return {}
    out: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip()
        if sep and name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            out.setdefault(name, value)
    return out


def _is_jwt(token: str) -> bool:
    return token.count(".") == 2


def _values(value: Any) -> list[str]:
    """A claim as a list of strings: space-separated string, array, or scalar."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def requirement_met(required: list[str], present: list[str]) -> bool:
    """Kong's `*_required`: elements OR-ed; space-separated values inside one element AND-ed."""
    have = set(present)
    return any(set(option.split()) <= have for option in required)


def _encode_table(value: Any) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")


class AccessFlow:
    __slots__ = (
        "access_claims",
        "auth_method",
        "bearer_presented",
        "bearer_source",
        "callback_target",
        "client",
        "conf",
        "consumer_source",
        "cookies",
        "downstream_ops",
        "groups",
        "id_claims",
        "introspection",
        "kong",
        "metadata",
        "p",
        "presented_expiry",
        "saved",
        "session",
        "session_manager",
        "set_cookies",
        "tokens",
        "upstream_ops",
        "userinfo",
    )

    def __init__(self, kong: PDK, prepared: Prepared) -> None:
        self.kong = kong
        self.p = prepared
        self.conf = prepared.conf
        self.client: ClientRegistration | None = prepared.clients[0] if prepared.clients else None
        self.metadata: ProviderMetadata | None = None
        self.cookies: dict[str, str] = {}
        self.session: Session | None = None
        self.session_manager: SessionManager | None = None
        self.set_cookies: list[str] = []
        self.tokens: dict[str, Any] = {}
        self.auth_method: str | None = None
        self.id_claims: dict[str, Any] | None = None
        self.access_claims: dict[str, Any] | None = None
        self.introspection: dict[str, Any] | None = None
        self.userinfo: dict[str, Any] | None = None
        self.bearer_presented = False
        self.bearer_source: str | None = None
        self.callback_target: str | None = None
        # what this request did, to remember as a verdict when it is a pure function of the credential
        self.upstream_ops: list[HeaderOp] = []
        self.downstream_ops: list[HeaderOp] = []
        self.consumer_source: tuple[tuple[str, ...], Any] | None = None
        self.groups: list[str] | None = None
        self.saved: str | None = None  # "periodic" (the clock only) or "changed" when the session was written
        self.presented_expiry: float | None = None  # when the cookie this request presented runs out

    # -- entry ------------------------------------------------------------------------------------------
    async def run(self) -> None:
        kong, conf = self.kong, self.conf
        if self.p.identity_headers:
            self._strip_spoofed_headers()
        if not conf["run_on_preflight"] and kong.request.get_method() == "OPTIONS":
            return
        if self.p.logout_store is not None and is_backchannel_logout(kong, self.p):
            await answer_backchannel_logout(kong, self.p)
        if conf.get("anonymous") and kong.client.get_credential() is not None:
            return  # another auth plugin already authenticated: logical OR of auth plugins
        self._choose_client()
        try:
            self.metadata = await self.p.provider.metadata()
        except ProviderError as exc:
            self.kong.log.err("openid-connect: discovery failed: ", exc.reason)
            self._unexpected()
        methods = set(conf["auth_methods"])
        self.cookies = parse_cookies(kong.request.get_header("cookie"))
        secret = self._session_secret()
        self.session_manager = self.p.sessions(secret)
        try:
            if "session" in methods:
                self.session = await self.session_manager.open(self.cookies)
                if self.session is not None and await self._logged_out_by_provider(self.session):
                    self.session = None
            if await self._logout_requested():
                await self._logout()
            await self._authenticate(methods)
            self._authorize()
            await self._map_consumer()
        except _Deny as deny:
            await self._deny(deny)
            return
        except ProviderError as exc:
            self.kong.log.err("openid-connect: provider error: ", exc.reason)
            self._unexpected()
        await self._set_headers()
        try:
            await self._save_session()
        except (ProviderError, ValueError) as exc:  # storage down, or too big for cookies (no Redis configured)
            self.kong.log.err("openid-connect: the session could not be saved: ", str(exc))
            self.set_cookies = []
            self._unexpected()
        self._login_action()
        self._emit_cookies()
        if self.p.verdicts is not None:
            self._remember()

    def _remember(self) -> None:
        """File this request's outcome as a verdict when the same credential will always get the same one."""
        book = self.p.verdicts
        conf = self.conf
        method = self.auth_method
        if book is None or method not in ("bearer", "session") or method in conf["login_methods"]:
            return
        if self.userinfo is not None or self.introspection is not None:
            return
        if conf.get("consumer_claim") and self.consumer_source is None:
            return  # no consumer (consumer_optional): one created later must be noticed
        key = request_key(self.kong, self.p.bearer_in_header)
        if key is None:
            return
        leeway = float(conf["leeway"])
        if method == "bearer":
            exp = (self.access_claims or {}).get("exp")
            if self.bearer_source != "authorization" or key[0] != BEARER_KEY or not isinstance(exp, int | float):
                return
            until = float(exp)
        else:
            session, manager = self.session, self.session_manager
            if session is None or manager is None or self.saved == "changed" or key[0] != SESSION_KEY:
                return
            if self.p.session_storage is not None or conf["reverify"]:
                return  # server-side sessions can be revoked elsewhere: look them up every time
            until = manager.next_save_at(session)
            if self.presented_expiry is not None:
                # Re-saved on its schedule: the verdict (with the new cookie to hand out again) is filed under
                # the presented cookie, which must still stop working when its own timeouts say so.
                until = min(until, self.presented_expiry)
            expires_at = self.tokens.get("expires_at")
            if isinstance(expires_at, int | float):
                until = min(until, float(expires_at) - leeway)
        kong = self.kong
        consumer = kong.client.get_consumer()
        credential = kong.client.get_credential()
        source = self.consumer_source
        upstream, downstream = self.upstream_ops, self.downstream_ops
        book.put(
            key,
            Verdict(
                valid_until=until,
                consumer=dict(consumer) if consumer is not None else None,
                credential=dict(credential) if credential is not None else None,
                consumer_cache_key=source[0] if source is not None else None,
                consumer_cached=source[1] if source is not None else None,
                groups=list(self.groups) if self.groups else None,
                upstream=kong.service.request.prepare_headers(upstream) if upstream else None,
                downstream=kong.response.prepare_headers(downstream) if downstream else None,
                size=sum(len(name) + len(value) for ops in (upstream, downstream) for _, name, value in ops),
            ),
        )

    def _upstream_set(self, name: str, value: str) -> None:
        self.kong.service.request.set_header(name, value)
        self.upstream_ops.append(("set", name, value))

    def _upstream_clear(self, name: str) -> None:
        self.kong.service.request.clear_header(name)
        self.upstream_ops.append(("clear", name, ""))

    # -- helpers --------------------------------------------------------------------------------------------
    def _strip_spoofed_headers(self) -> None:
        strip_spoofed_headers(self.kong, self.p.identity_headers)

    def _choose_client(self) -> None:
        if len(self.p.clients) < 2:
            return
        arg = self.conf["client_arg"]
        kong = self.kong
        wanted = kong.request.get_header(arg) or kong.request.get_header("x-" + arg) or kong.request.get_query_arg(arg)
        for client in self.p.clients:
            if wanted in (client.client_id, str(client.index + 1)):
                self.client = client
                return

    def _session_secret(self) -> bytes:
        return self.p.session_secret(self.kong.node.derive_secret)

    def _secure(self) -> bool:
        return self.kong.request.get_forwarded_scheme() == "https"

    def _origin(self) -> str:
        req = self.kong.request
        scheme = req.get_forwarded_scheme()
        host = req.get_forwarded_host()
        port = req.get_forwarded_port()
        default = 443 if scheme == "https" else 80
        return f"{scheme}://{host}" + ("" if port == default else f":{port}")

    def _redirect_uri(self) -> str:
        configured = self.p.per_client("redirect_uri", self.client)
        if configured:
            return str(configured)
        return self._origin() + self.kong.request.get_forwarded_path()

    def _exit(self, status: int, body: Any = None, headers: dict[str, Any] | None = None) -> NoReturn:
        merged: dict[str, Any] = dict(headers or {})
        if self.set_cookies:
            merged["Set-Cookie"] = list(self.set_cookies)
        self.kong.response.exit(status, body, merged)

    def _redirect(self, location: str) -> NoReturn:
        self._exit(302, None, {"Location": location, **_NO_CACHE})

    def _unexpected(self) -> NoReturn:
        target = self.p.per_client("unexpected_redirect_uri", self.client)
        if target:
            self._redirect(str(target))
        self._exit(500, {"message": "An unexpected error occurred"})

    # -- logout -----------------------------------------------------------------------------------------------
    async def _logout_requested(self) -> bool:
        conf, req = self.conf, self.kong.request
        if req.get_method() not in conf["logout_methods"]:
            return False
        if logout_in_url(self.kong, conf):
            return True
        if conf.get("logout_post_arg") and req.get_method() == "POST":
            body, _, _ = await req.get_body()
            if isinstance(body, dict) and conf["logout_post_arg"] in body:
                return True
        return False

    async def _logout(self) -> NoReturn:
        conf = self.conf
        session = self.session
        tokens = session.data.get("tokens", {}) if session else {}
        if session is not None and conf["logout_revoke"] and self.client and self.metadata:
            endpoint = self.metadata.revocation_endpoint
            if endpoint:
                for kind, enabled in (
                    ("refresh_token", conf["logout_revoke_refresh_token"]),
                    ("access_token", conf["logout_revoke_access_token"]),
                ):
                    if enabled and tokens.get(kind):
                        try:
                            await self.client.oauth.revoke(endpoint, tokens[kind], kind)
                        except OIDCError as exc:
                            self.kong.log.warn("openid-connect: revocation failed: ", exc.reason)
        assert self.session_manager is not None
        self.set_cookies.extend(await self.session_manager.destroy(session, self.cookies, secure=self._secure()))
        target = self.p.per_client("logout_redirect_uri", self.client)
        # A configured logout_redirect_uri wins over discovery's end_session_endpoint: Cognito's discovery
        # advertises its proprietary /logout, which refuses RP-initiated logout parameters.
        if target:
            self._redirect(str(target))
        end_session = self.metadata.end_session_endpoint if self.metadata else None
        if end_session:
            params: dict[str, str] = {}
            if tokens.get("id_token"):
                params["id_token_hint"] = tokens["id_token"]
            if self.client:
                params["client_id"] = self.client.client_id
            after = self.p.per_client("post_logout_redirect_uri", self.client)
            if after:
                params["post_logout_redirect_uri"] = str(after)
            params["state"] = new_state()  # RP-Initiated Logout 1.0 §2: echoed back to the post-logout URI
            self._redirect(authorization_url(end_session, params))
        self._exit(204, None, dict(_NO_CACHE))

    def _session_subjects(self, session: Session) -> list[tuple[str, str, str]]:
        data = session.data
        claims = data.get("id_claims") or {}
        iss = data.get("iss") or claims.get("iss") or (self.metadata.issuer if self.metadata else self.conf["issuer"])
        sub = data.get("sub") or claims.get("sub")
        sid = data.get("sid") or claims.get("sid")
        return session_subjects(
            normalised_issuer(str(iss)),
            sub if isinstance(sub, str) else None,
            sid if isinstance(sid, str) else None,
        )

    async def _logged_out_by_provider(self, session: Session) -> bool:
        """Back-channel logout: a session opened before its sub/sid was logged out is over."""
        store = self.p.logout_store
        if store is None:
            return False
        if await store.revoked_after(self._session_subjects(session), session.created_at):
            self.kong.log.info("openid-connect: the session was ended by a back-channel logout")
            return True
        return False

    # -- authentication ----------------------------------------------------------------------------------------
    async def _authenticate(self, methods: set[str]) -> None:
        if self.session is not None and self._authorization_bearer() and any(m in methods for m in _TOKEN_METHODS):
            # A bearer header decides on its own: an invalid one never falls back to the session cookie.
            self.session = None
        if self.session is not None:
            self.auth_method = "session"
            self.tokens = dict(self.session.data.get("tokens") or {})
            self.id_claims = self.session.data.get("id_claims")
            await self._ensure_fresh()
            if self.conf["reverify"]:
                await self._verify_tokens(nonce=None)
            return
        bearer = await self._find_bearer() if any(m in methods for m in _TOKEN_METHODS) else None
        if bearer is not None:
            self.bearer_presented = True
            await self._authenticate_bearer(bearer, methods)
            return
        if "refresh_token" in methods and self.conf.get("refresh_token_param_name"):
            refresh = await self._find_arg(self.conf["refresh_token_param_name"], self.conf["refresh_token_param_type"])
            if refresh:
                await self._grant({"grant_type": "refresh_token", "refresh_token": refresh}, "refresh_token")
                return
        if (
            "password" in methods or "client_credentials" in methods
        ) and await self._try_password_or_client_credentials(methods):
            return
        if "authorization_code" in methods:
            await self._authorization_code()
            return
        raise _Deny(401, "no suitable authorization credentials were provided")

    def _authorization_bearer(self) -> bool:
        if "header" not in self.conf["bearer_token_param_type"]:
            return False
        scheme, _, value = (self.kong.request.get_header("authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and bool(value.strip())

    async def _find_arg(self, name: str, places: list[str]) -> str | None:
        req = self.kong.request
        if "header" in places:
            value = req.get_header(name)
            if value:
                return value.removeprefix("Bearer ").strip()
        if "query" in places:
            value = req.get_query_arg(name)
            if value:
                return value
        if "body" in places and req.get_method() in ("POST", "PUT", "PATCH"):
            body, _, _ = await req.get_body()
            if isinstance(body, dict) and isinstance(body.get(name), str):
                return str(body[name])
        return None

    async def _find_bearer(self) -> str | None:
        req, places = self.kong.request, self.conf["bearer_token_param_type"]
        if "header" in places:
            authorization = req.get_header("authorization")
            if authorization:
                scheme, _, value = authorization.partition(" ")
                if scheme.lower() == "bearer" and value.strip():
                    self.bearer_source = "authorization"
                    return value.strip()
            for name in ("access-token", "x-access-token"):
                extra = req.get_header(name)
                if extra:
                    return extra.strip()
        if "query" in places:
            in_query = req.get_query_arg("access_token")
            if in_query:
                self.bearer_source = "query"
                return in_query
        if "body" in places and req.get_method() in ("POST", "PUT", "PATCH"):
            body, _, _ = await req.get_body()
            if isinstance(body, dict) and isinstance(body.get("access_token"), str):
                return str(body["access_token"])
        if "cookie" in places and self.conf.get("bearer_token_cookie_name"):
            return self.cookies.get(self.conf["bearer_token_cookie_name"]) or None
        return None

    async def _authenticate_bearer(self, token: str, methods: set[str]) -> None:
        assert self.metadata is not None
        reasons: list[str] = []
        if "bearer" in methods and _is_jwt(token):
            try:
                verified = await self.p.verifier(self.metadata).verify(token)
                claims = check_access_token(
                    verified, issuers=self.p.issuers(self.metadata), leeway=float(self.conf["leeway"])
                )
            except TokenError as exc:
                reasons.append(exc.reason)
            else:
                self.tokens = {"access_token": token, "expires_at": claims.get("exp")}
                self.access_claims = claims
                self.auth_method = "bearer"
                if self.conf["introspect_jwt_tokens"]:
                    await self._introspect(token)
                return
        if "introspection" in methods and self.metadata.introspection_endpoint and self.client:
            try:
                await self._introspect(token)
            except TokenError as exc:
                reasons.append(exc.reason)
            else:
                self.tokens = {"access_token": token, "expires_at": (self.introspection or {}).get("exp")}
                self.auth_method = "introspection"
                return
        if "userinfo" in methods and self.metadata.userinfo_endpoint and self.client:
            try:
                self.userinfo = await self._fetch_userinfo(token, expires_at=None)
            except TokenError as exc:
                reasons.append(exc.reason)
            else:
                self.tokens = {"access_token": token}
                self.auth_method = "userinfo"
                return
        raise _Deny(401, "; ".join(reasons) or "bearer token could not be verified")

    async def _introspect(self, token: str) -> None:
        assert self.metadata is not None
        if not self.metadata.introspection_endpoint or not self.client:
            raise TokenError("no introspection endpoint")
        cache = self.p.introspection_cache
        key = cache.key(self.metadata.issuer, self.client.client_id, token)
        result = cache.get(key) if self.conf["cache_introspection"] else None
        if result is None:
            result = await self.client.oauth.introspect(
                self.metadata.introspection_endpoint, token, self.conf.get("introspection_hint")
            )
            exp = result.get("exp")
            if self.conf["cache_introspection"] and result.get("active") is True and isinstance(exp, int | float):
                cache.put(key, result, min(float(exp), time.time() + float(self.conf["cache_ttl"])))
        if self.conf["introspection_check_active"] and result.get("active") is not True:
            raise TokenError("token is not active")
        if result.get("token_type") == "refresh_token":
            raise TokenError("a refresh token is not an access token")
        self.introspection = result

    async def _try_password_or_client_credentials(self, methods: set[str]) -> bool:
        req = self.kong.request
        authorization = req.get_header("authorization") or ""
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "basic" and value:
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise _Deny(401, "malformed basic credentials") from None
            if "password" in methods:
                await self._grant({"grant_type": "password", "username": user, "password": password}, "password")
                return True
            await self._grant(
                {"grant_type": "client_credentials", "client_id": user, "client_secret": password},
                "client_credentials",
            )
            return True
        if "password" in methods:
            found_user = await self._find_arg("username", self.conf["password_param_type"])
            found_password = await self._find_arg("password", self.conf["password_param_type"])
            if found_user and found_password:
                form = {"grant_type": "password", "username": found_user, "password": found_password}
                await self._grant(form, "password")
                return True
        return False

    async def _grant(self, form: dict[str, str], method: str) -> None:
        assert self.metadata is not None
        if not self.metadata.token_endpoint or not self.client:
            raise _Deny(401, "no token endpoint or client configured")
        scopes = self.conf.get("scopes") or []
        if scopes and "scope" not in form and method != "refresh_token":
            form["scope"] = " ".join(scopes)
        self.auth_method = method
        cache, key = self.p.token_cache, None
        if self.conf["cache_tokens"] and method in ("password", "client_credentials"):
            credentials = (part for item in sorted(form.items()) for part in item)
            key = cache.key(self.p.token_cache_salt, self.metadata.token_endpoint, self.client.client_id, *credentials)
            cached = cache.get(key)
            if isinstance(cached, dict):
                self.tokens = dict(cached)  # with the absolute expires_at of the original answer
                try:
                    await self._verify_tokens(nonce=None)
                    return
                except _Deny as deny:  # e.g. keys rotated or the token expired early: one uncached retry
                    self.kong.log.info(
                        "openid-connect: a cached token failed verification, asking again: ", deny.reason
                    )
                    cache.discard(key)
                    self.id_claims = self.access_claims = None
        try:
            response = await self.client.oauth.token(self.metadata.token_endpoint, form)
        except TokenError as exc:
            raise _Deny(401, exc.reason) from exc
        self._store_tokens(response)
        await self._verify_tokens(nonce=None)
        if key is not None:
            cache.put(key, dict(self.tokens), self.p.cache_expiry(self.tokens.get("expires_at")))

    def _store_tokens(self, response: TokenResponse, *, keep: dict[str, Any] | None = None) -> None:
        tokens: dict[str, Any] = {"access_token": response.access_token, "token_type": response.token_type}
        previous = keep or {}
        tokens["id_token"] = response.id_token or previous.get("id_token")
        # Cognito answers a refresh without a new refresh token: keep the one we have.
        tokens["refresh_token"] = response.refresh_token or previous.get("refresh_token")
        if response.expires_in is not None:
            tokens["expires_at"] = time.time() + response.expires_in
        self.tokens = {k: v for k, v in tokens.items() if v is not None}

    async def _verify_tokens(self, *, nonce: str | None) -> None:
        assert self.metadata is not None
        verifier = self.p.verifier(self.metadata)
        issuers = self.p.issuers(self.metadata)
        leeway = float(self.conf["leeway"])
        id_token = self.tokens.get("id_token")
        try:
            if id_token and self.conf["verify_signature"]:
                verified = await verifier.verify(id_token)
                self.id_claims = check_id_token(
                    verified,
                    issuers=issuers,
                    client_ids=self.p.client_ids,
                    nonce=nonce if self.conf["verify_nonce"] else None,
                    access_token=self.tokens.get("access_token"),
                    max_age=float(self.conf["max_age"]) if self.conf.get("max_age") else None,
                    leeway=leeway,
                )
            access = self.tokens.get("access_token")
            if access and _is_jwt(access):
                verified = await verifier.verify(access)
                self.access_claims = check_access_token(verified, issuers=issuers, leeway=leeway)
                if "expires_at" not in self.tokens and "exp" in self.access_claims:
                    self.tokens["expires_at"] = self.access_claims["exp"]
        except TokenError as exc:
            raise _Deny(401, exc.reason) from exc

    async def _ensure_fresh(self) -> None:
        expires_at = self.tokens.get("expires_at")
        if not isinstance(expires_at, int | float):
            return
        leeway = float(self.conf["leeway"])
        refresh = self.tokens.get("refresh_token")
        now = time.time()
        if refresh and self.conf["refresh_tokens"]:
            if now < expires_at - leeway:
                return
        elif now < expires_at + leeway:
            return
        if not refresh or not self.conf["refresh_tokens"]:
            raise _Deny(401, "access token expired")
        assert self.metadata is not None and self.client is not None
        if not self.metadata.token_endpoint:
            raise _Deny(401, "access token expired and no token endpoint")
        try:
            response = await self.client.oauth.token(
                self.metadata.token_endpoint, {"grant_type": "refresh_token", "refresh_token": refresh}
            )
        except TokenError as exc:
            if now < expires_at:
                return  # early refresh failed but the token still works: use it, do not save
            raise _Deny(401, "refreshing the access token failed: " + exc.reason) from exc
        before = self.id_claims or {}
        self._store_tokens(response, keep=self.tokens)
        await self._verify_tokens(nonce=None)
        after = self.id_claims or {}
        if response.id_token and before and any(after.get(c) != before.get(c) for c in ("iss", "sub")):
            raise _Deny(401, "the refreshed ID token is about someone else")  # OIDC Core §12.2
        if self.session is not None:
            self.session.data["tokens"] = self.tokens
            self.session.data["id_claims"] = self.id_claims
            self.session.changed = True

    # -- authorization code flow -------------------------------------------------------------------------------
    async def _callback_params(self) -> dict[str, list[str]]:
        req = self.kong.request
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(req.get_raw_query(), keep_blank_values=True):
            params.setdefault(name, []).append(value)
        if self.conf["response_mode"] == "form_post" and req.get_method() == "POST":
            body, _, _ = await req.get_body()
            if isinstance(body, dict):
                for name, value in body.items():
                    values = value if isinstance(value, list) else [value]
                    params.setdefault(name, []).extend(str(v) for v in values)
        return params

    async def _authorization_code(self) -> None:
        assert self.metadata is not None
        secret = self._session_secret()
        codec = self.p.authorization_cookie(secret)
        name = self.conf["authorization_cookie_name"]
        stored = codec.open(self.cookies[name], name) if name in self.cookies else None
        params = await self._callback_params()
        if isinstance(stored, dict) and time.time() - float(stored.get("t", 0)) > float(
            self.conf["authorization_cookie_lifetime"]
        ):
            stored = None
        if isinstance(stored, dict) and params.get("state"):
            for key in ("state", "code", "error", "iss"):
                if len(params.get(key, [])) > 1:
                    raise _Deny(401, f"duplicate {key} parameter in callback")
            if params["state"][0] == stored.get("state"):
                self.set_cookies.append(self._authorization_cookie_header("", max_age=0))
                if params.get("error") or not params.get("code"):
                    raise _Deny(401, "authorization failed at the provider")
                if params.get("iss") and params["iss"][0] != self.metadata.issuer:
                    raise _Deny(401, "callback iss does not match the provider")
                await self._redeem(params["code"][0], stored)
                return
        await self._start_authorization(stored if isinstance(stored, dict) else None)

    async def _redeem(self, code: str, stored: dict[str, Any]) -> None:
        assert self.metadata is not None
        if not self.metadata.token_endpoint or not self.client:
            raise _Deny(401, "no token endpoint or client configured")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": str(stored["redirect_uri"])}
        if stored.get("verifier"):
            form["code_verifier"] = str(stored["verifier"])
        try:
            response = await self.client.oauth.token(self.metadata.token_endpoint, form)
        except TokenError as exc:
            raise _Deny(401, exc.reason) from exc
        self._store_tokens(response)
        self.auth_method = "authorization_code"
        await self._verify_tokens(nonce=str(stored.get("nonce")))
        self.callback_target = str(stored.get("uri") or "")
        # Kong removes the callback arguments before proxying the callback request upstream.
        kept = [(k, v) for k, v in parse_qsl(self.kong.request.get_raw_query(), keep_blank_values=True)]
        kept = [(k, v) for k, v in kept if k not in ("code", "state", "session_state", "iss")]
        self.kong.service.request.set_raw_query(urlencode(kept))

    def _is_navigation(self) -> bool:
        req = self.kong.request
        if req.get_method() not in ("GET", "HEAD"):
            return False
        if (req.get_header("x-requested-with") or "").lower() == "xmlhttprequest":
            return False
        mode = req.get_header("sec-fetch-mode")
        if mode is not None:
            return mode == "navigate"
        accept = req.get_header("accept") or ""
        return "text/html" in accept or accept in ("", "*/*")

    async def _start_authorization(self, previous: dict[str, Any] | None) -> NoReturn:
        assert self.metadata is not None
        if not self._is_navigation():
            raise _Deny(401, "login required")
        if not self.metadata.authorization_endpoint or not self.client:
            raise _Deny(401, "no authorization endpoint or client configured")
        conf = self.conf
        req = self.kong.request
        use_pkce = conf.get("require_proof_key_for_code_exchange") is not False
        state = previous["state"] if previous else new_state()
        nonce = previous["nonce"] if previous else new_nonce()
        verifier = previous.get("verifier") if previous else (new_verifier() if use_pkce else None)
        # Another tab's attempt still running: keep its redirect_uri too, so both callbacks can be redeemed
        # against the same registration (the first one logs in, the other then finds the session).
        redirect_uri = str(previous.get("redirect_uri") or self._redirect_uri()) if previous else self._redirect_uri()
        params: dict[str, str] = {
            "response_type": " ".join(conf["response_type"]),
            "client_id": self.client.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(conf["scopes"]),
            "state": state,
            "nonce": nonce,
        }
        if verifier:
            params["code_challenge"] = challenge_s256(str(verifier))
            params["code_challenge_method"] = "S256"
        if conf["response_mode"] != "query":
            params["response_mode"] = conf["response_mode"]
        if conf.get("audience"):
            params["audience"] = " ".join(conf["audience"])
        if conf.get("max_age") is not None:
            params["max_age"] = str(int(conf["max_age"]))
        for name, value in zip(
            conf.get("authorization_query_args_names") or [],
            conf.get("authorization_query_args_values") or [],
            strict=False,
        ):
            params.setdefault(name, value)
        for name in conf.get("authorization_query_args_client") or []:
            value = req.get_query_arg(name)
            if value is not None:
                params.setdefault(name, value)
        original = req.get_path_with_query() if conf["preserve_query_args"] else req.get_path()
        stored = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "redirect_uri": redirect_uri,
            "uri": original,
            "client": self.client.index,
            "t": time.time(),
        }
        secret = self._session_secret()
        sealed = self.p.authorization_cookie(secret).seal(stored, conf["authorization_cookie_name"])
        self.set_cookies.append(
            self._authorization_cookie_header(sealed, max_age=int(conf["authorization_cookie_lifetime"]))
        )
        self._redirect(authorization_url(self.metadata.authorization_endpoint, params))

    def _authorization_cookie_header(self, value: str, *, max_age: int) -> str:
        conf = self.conf
        parts = [f"{conf['authorization_cookie_name']}={value}", f"Path={conf['authorization_cookie_path']}"]
        if conf.get("authorization_cookie_domain"):
            parts.append(f"Domain={conf['authorization_cookie_domain']}")
        parts.append(f"Max-Age={max_age}")
        same_site = conf["authorization_cookie_samesite"]
        if same_site not in ("off", "Default"):
            parts.append(f"SameSite={same_site}")
        secure = conf.get("authorization_cookie_secure")
        if secure or (secure is None and self._secure()):
            parts.append("Secure")
        if conf["authorization_cookie_httponly"]:
            parts.append("HttpOnly")
        return "; ".join(parts)

    # -- authorization checks ----------------------------------------------------------------------------------
    def _claim_sources(self) -> list[dict[str, Any]]:
        return [c for c in (self.introspection, self.access_claims, self.id_claims, self.userinfo) if c]

    def _claim(self, path: list[str], sources: list[dict[str, Any]] | None = None) -> Any:
        for claims in sources if sources is not None else self._claim_sources():
            value = claim_at(claims, path)
            if value is not None:
                return value
        return None

    def _authorize(self) -> None:
        conf = self.conf
        for required, claim in (
            ("scopes_required", "scopes_claim"),
            ("audience_required", "audience_claim"),
            ("groups_required", "groups_claim"),
            ("roles_required", "roles_claim"),
        ):
            needed = conf.get(required)
            if needed and not requirement_met(needed, _values(self._claim(conf[claim]))):
                raise _Deny(403, f"{required.removesuffix('_required')} requirement not met")
        if conf.get("domains") and self._claim(["hd"]) not in conf["domains"]:
            raise _Deny(401, "hd claim is not an allowed domain")

    # -- consumers -------------------------------------------------------------------------------------------------
    async def _find_consumer(self, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, str) or not value:
            return None
        consumers = self.kong.db("consumers")
        for field in self.conf["consumer_by"]:
            if field == "id":
                row = await self.kong.cache.get(("consumers", "id", value), lambda: consumers.select(value))
            else:
                lookup = value.lower() if field == "username" and self.conf["by_username_ignore_case"] else value

                async def load(f: str = field, v: str = lookup) -> Any:
                    return await consumers.select_by(f, v)

                row = await self.kong.cache.get(("consumers", field, lookup), load)
            if row is not None:
                self.consumer_source = (
                    ("consumers", "id", value) if field == "id" else ("consumers", field, lookup),
                    row,
                )
                return dict(row)
        return None

    async def _map_consumer(self) -> None:
        conf = self.conf
        consumer = None
        if conf.get("consumer_claim"):
            sources = [c for c in (self.introspection, self.id_claims, self.access_claims) if c]
            if conf["search_user_info"]:
                await self._load_userinfo()
                if self.userinfo:
                    sources.append(self.userinfo)
            consumer = await self._find_consumer(self._claim(conf["consumer_claim"], sources))
            if consumer is None and not conf["consumer_optional"]:
                raise _Deny(403, "consumer was not found")
        if consumer is not None:
            self.kong.client.authenticate(consumer, {"id": consumer["id"], "consumer": {"id": consumer["id"]}})
        else:
            credential_id = self._claim(conf["credential_claim"])
            credential = {"id": str(credential_id)} if credential_id is not None else None
            self.kong.client.authenticate(None, credential)
        groups_claim = conf.get("authenticated_groups_claim")
        if groups_claim:
            groups = _values(self._claim(groups_claim))
            if groups:
                self.kong.ctx.shared["authenticated_groups"] = groups
                self.groups = groups
                self._upstream_set("X-Authenticated-Groups", ", ".join(groups))

    async def _load_userinfo(self) -> None:
        if self.userinfo is not None or not self.metadata or not self.metadata.userinfo_endpoint or not self.client:
            return
        access = self.tokens.get("access_token")
        if access:
            try:
                userinfo = await self._fetch_userinfo(access, expires_at=self.tokens.get("expires_at"))
            except OIDCError as exc:
                self.kong.log.warn("openid-connect: userinfo failed: ", exc.reason)
                return
            subject = (self.id_claims or self.access_claims or {}).get("sub")
            if subject is not None and userinfo.get("sub") != subject:
                # OIDC Core §5.3.2: a userinfo answer about someone else is discarded, never merged.
                self.kong.log.warn("openid-connect: userinfo sub does not match the token's sub; ignored")
                self.userinfo = {}
                return
            self.userinfo = userinfo

    async def _fetch_userinfo(self, access_token: str, *, expires_at: Any) -> dict[str, Any]:
        """The userinfo answer for this access token; with `cache_user_info`, cached (per token hash) until the
        token expires, else for `cache_ttl`. Refusals are never cached."""
        assert self.metadata is not None and self.metadata.userinfo_endpoint and self.client is not None
        endpoint = self.metadata.userinfo_endpoint
        cache = self.p.userinfo_cache
        key = cache.key(endpoint, access_token)
        if self.conf["cache_user_info"]:
            cached = cache.get(key)
            if isinstance(cached, dict):
                return dict(cached)
        userinfo = await self.client.oauth.userinfo(endpoint, access_token)
        if self.conf["cache_user_info"]:
            cache.put(key, dict(userinfo), self.p.cache_expiry(expires_at))
        return userinfo

    # -- failures ----------------------------------------------------------------------------------------------------
    async def _deny(self, deny: _Deny) -> None:
        conf = self.conf
        self.kong.log.info("openid-connect: ", deny.status, " ", deny.reason)
        if conf.get("anonymous") and deny.status in (401, 403):
            await self._as_anonymous()
            return
        destroy = conf["unauthorized_destroy_session"] if deny.status == 401 else conf["forbidden_destroy_session"]
        if destroy and self.session_manager is not None and (self.session is not None or self._has_session_cookie()):
            self.set_cookies.extend(
                await self.session_manager.destroy(self.session, self.cookies, secure=self._secure())
            )
        redirect_key = "unauthorized_redirect_uri" if deny.status == 401 else "forbidden_redirect_uri"
        target = self.p.per_client(redirect_key, self.client)
        if target:
            self._redirect(str(target))
        message = conf["unauthorized_error_message"] if deny.status == 401 else conf["forbidden_error_message"]
        if conf["display_errors"]:
            message = f"{message} ({deny.reason})"
        challenge = f'Bearer realm="{self.p.realm()}"'
        if self.bearer_presented and deny.status == 401:
            challenge += ', error="invalid_token"'
        elif deny.status == 403:
            challenge += ', error="insufficient_scope"'
        self._exit(deny.status, {"message": message}, {"WWW-Authenticate": challenge})

    def _has_session_cookie(self) -> bool:
        return self.conf["session_cookie_name"] in self.cookies

    async def _as_anonymous(self) -> None:
        ident = str(self.conf["anonymous"])
        row = await self.kong.client.load_consumer(ident, search_by_username=True)
        if row is None:
            self.kong.log.err("openid-connect: anonymous consumer ", ident, " not found")
            self._unexpected()
        self.kong.client.authenticate_anonymous(dict(row))
        self._emit_cookies()

    # -- success -----------------------------------------------------------------------------------------------------
    def _header(self, name: str | None, value: Any, *, upstream: bool) -> None:
        if not name or value is None:
            return
        text = value if isinstance(value, str) else _encode_table(value)
        if any(c in text for c in "\r\n\x00"):
            self.kong.log.warn("openid-connect: a value for header ", name, " holds control characters; not set")
            return
        if not text.isascii():
            text = text.encode("utf-8").decode("latin-1")  # raw UTF-8 on the wire, as Kong sends it
        lowered = name.lower()
        if lowered in ("authorization:bearer", "authorization:basic"):
            name, text = "Authorization", ("Bearer " if lowered.endswith("bearer") else "Basic ") + text
        if upstream:
            self._upstream_set(name, text)
        else:
            self.kong.response.set_header(name, text)
            self.downstream_ops.append(("set", name, text))

    async def _set_headers(self) -> None:
        conf = self.conf
        wants_userinfo = conf.get("upstream_user_info_header") or conf.get("downstream_user_info_header")
        if conf["search_user_info"]:
            claims = [*(conf.get("upstream_headers_claims") or []), *(conf.get("downstream_headers_claims") or [])]
            wants_userinfo = wants_userinfo or any(self._claim([c]) is None for c in claims)
        if wants_userinfo:
            await self._load_userinfo()
        if self.p.item_headers:
            values = {
                "access_token": self.tokens.get("access_token"),
                "id_token": self.tokens.get("id_token"),
                "refresh_token": self.tokens.get("refresh_token"),
                "introspection": self.introspection,
                "user_info": self.userinfo or None,
                "session_id": self.session.id if self.session else None,
            }
            for upstream, item, name in self.p.item_headers:
                self._header(name, values[item], upstream=upstream)
        for upstream, claim, name in self.p.claim_headers:
            value = self._claim([claim])
            if value is not None:
                if not isinstance(value, str):
                    value = json.dumps(value) if isinstance(value, dict | list) else str(value)
                self._header(name, value, upstream=upstream)
        if conf["hide_credentials"] and self.bearer_source == "query":
            service_request = self.kong.service.request
            query = parse_qsl(service_request.get_raw_query(), keep_blank_values=True)
            service_request.set_raw_query(urlencode([(k, v) for k, v in query if k != "access_token"]))
        if conf["hide_credentials"] and self.bearer_presented:
            self._upstream_clear("Access-Token")
            self._upstream_clear("X-Access-Token")
            if (conf.get("upstream_access_token_header") or "").lower() != "authorization:bearer":
                self._upstream_clear("Authorization")

    async def _save_session(self) -> None:
        conf = self.conf
        if "session" not in conf["auth_methods"] or self.session_manager is None:
            return
        if self.auth_method in (conf.get("disable_session") or []) or self.auth_method in _TOKEN_METHODS:
            return
        session = self.session
        if session is None:
            session = self.session_manager.new()  # a fresh id at every login defeats session fixation
            session.data["tokens"] = self.tokens
            session.data["id_claims"] = self.id_claims
            session.data["client"] = self.client.index if self.client else 0
            # who the session belongs to, so a back-channel logout (by sub or sid) can find it
            subject = self.id_claims or self.access_claims or {}
            for claim in ("iss", "sub", "sid"):
                if isinstance(subject.get(claim), str):
                    session.data[claim] = subject[claim]
        if self.session_manager.needs_save(session):
            self.saved = "changed" if session.fresh or session.changed else "periodic"
            if not session.fresh:
                self.presented_expiry = self.session_manager.expires_at(session)
            self.set_cookies.extend(
                await self.session_manager.save(session, secure=self._secure(), cookies=self.cookies)
            )
            if self.p.logout_store is not None and self.p.session_storage is not None:
                await self.p.logout_store.index_session(
                    self._session_subjects(session), session.id, self.p.logout_state_ttl()
                )
        self.session = session
        # The upstream never sees our session cookie.
        cookie_header = self.kong.request.get_header("cookie")
        if cookie_header:
            names = {conf["session_cookie_name"], conf["authorization_cookie_name"]}
            kept = [
                part.strip()
                for part in cookie_header.split(";")
                if part.strip()
                and part.strip().split("=", 1)[0] not in names
                and not part.strip().split("=", 1)[0].startswith(conf["session_cookie_name"] + "_")
            ]
            if kept:
                self._upstream_set("Cookie", "; ".join(kept))
            else:
                self._upstream_clear("Cookie")

    def _login_action(self) -> None:
        conf = self.conf
        if self.auth_method not in conf["login_methods"]:
            return
        action = conf["login_action"]
        selected: dict[str, Any] = {}
        for item in conf.get("login_tokens") or []:
            if item == "tokens":
                selected["tokens"] = self.tokens
            elif item == "introspection":
                selected["introspection"] = self.introspection
            elif self.tokens.get(item):
                selected[item] = self.tokens[item]
        if action == "response":
            if selected:
                self._exit(200, selected, dict(_NO_CACHE))
            self._exit(204, None, dict(_NO_CACHE))
        target = self.p.per_client("login_redirect_uri", self.client)
        if action == "redirect":
            location = str(target) if target else same_origin_path(self.callback_target or "") or None
            if location is None:
                self.kong.log.notice("openid-connect: login_action redirect without a target; proxying")
                return
            if selected:
                encoded = urlencode(
                    {
                        k: v if isinstance(v, str) else base64.urlsafe_b64encode(json.dumps(v).encode()).decode()
                        for k, v in selected.items()
                    }
                )
                joiner = "#" if conf["login_redirect_mode"] == "fragment" else ("&" if "?" in location else "?")
                location = f"{location}{joiner}{encoded}"
            self._redirect(location)
        # login_action = upstream: after a browser callback, go back to the page that started the login
        # (sekisho addition: Kong proxies the callback request itself).
        original = same_origin_path(self.callback_target or "")
        request = self.kong.request
        # a form_post callback is a POST: always answer it with a redirect so the page is fetched with GET
        if original and (original != request.get_path_with_query() or request.get_method() != "GET"):
            self._redirect(original)

    def _emit_cookies(self) -> None:
        for header in self.set_cookies:
            self.kong.response.add_header("Set-Cookie", header)
            self.downstream_ops.append(("add", "Set-Cookie", header))
        self.set_cookies = []
