"""Configuration of `openid-connect`: Kong 2.8's parameter names and defaults, 3.x spellings accepted.

Fields Kong has but sekisho does not implement are accepted at their default value (so configurations
exported from Kong load) and refused with a clear message otherwise. `docs/plugins/openid-connect.md` is
generated from this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sekisho.oidc.client_auth import ENDPOINTS, SECRET_ALGORITHMS, client_assertion_key
from sekisho.schema import Array, Boolean, Field, Integer, Number, Record, Set, String, not_supported

__all__ = ["AUTH_METHODS", "CONFIG", "client_auth_methods", "per_client"]

AUTH_METHODS = [
    "password",
    "client_credentials",
    "authorization_code",
    "bearer",
    "introspection",
    "userinfo",
    "kong_oauth2",
    "refresh_token",
    "session",
]
_CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"]
_ASSERTION_ALGORITHMS = [
    *SECRET_ALGORITHMS,
    *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"),
]
_PARAM_TYPES = ["header", "query", "body"]
_SAMESITE = ["Strict", "Lax", "None", "off", "Default"]


def _url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"not a valid url: {value}"
    return None


def url(description: str, **kwargs: Any) -> String:
    return String(validators=[_url], description=description, **kwargs)


def urls(description: str, **kwargs: Any) -> Array:
    return Array(String(validators=[_url]), description=description, **kwargs)


def strings(description: str, **kwargs: Any) -> Array:
    return Array(String(), description=description, **kwargs)


def flag(default: bool, description: str) -> Boolean:
    return Boolean(default=default, required=True, description=description)


def unsupported(field: Field, reason: str) -> Field:
    default = field.default if field.has_default else None
    field.validators = (*field.validators, not_supported(reason, default))
    field.description = f"{field.description} Not supported by sekisho yet ({reason}): only the default is accepted."
    return field


_NOT_YET = "planned"

_FIELDS: dict[str, Field] = {
    # -- discovery ------------------------------------------------------------------------------------
    "issuer": url(
        "The provider's issuer URL, or its full discovery URL (`.../.well-known/openid-configuration`).",
        required=True,
    ),
    "rediscovery_lifetime": Number(
        default=30, description="Minimum seconds between two re-discoveries (and JWKS refetches on unknown `kid`)."
    ),
    "extra_jwks_uris": Set(String(validators=[_url]), description="More JWKS URIs whose keys are trusted."),
    "issuers_allowed": strings("Accepted `iss` values besides the discovered issuer."),
    "authorization_endpoint": url("Overrides the discovered authorization endpoint."),
    "token_endpoint": url("Overrides the discovered token endpoint."),
    "introspection_endpoint": url("Overrides the discovered introspection endpoint."),
    "revocation_endpoint": url("Overrides the discovered revocation endpoint."),
    "userinfo_endpoint": url("Overrides the discovered userinfo endpoint."),
    "end_session_endpoint": url("Overrides the discovered end-session (RP-initiated logout) endpoint."),
    "token_exchange_endpoint": unsupported(url("Kong's proprietary token exchange endpoint."), _NOT_YET),
    "discovery_headers_names": strings("Extra header names sent with discovery requests."),
    "discovery_headers_values": strings("Values of `discovery_headers_names`."),
    # -- client -----------------------------------------------------------------------------------------
    "client_id": strings("Client id(s) registered at the provider; also the expected ID token audience."),
    "client_secret": Array(String(), encrypted=True, description="Client secret(s), paired with `client_id`."),
    "client_auth": Array(
        String(one_of=_CLIENT_AUTH),
        description=(
            "How to authenticate to the provider, per client: `client_secret_basic`, `client_secret_post`,"
            " `client_secret_jwt` (an assertion signed with the secret), `private_key_jwt` (signed with"
            " `client_jwk`) or `none` (public clients such as a Cognito app client without secret). Default:"
            " basic with a secret, else none."
        ),
    ),
    "client_jwk": Array(
        Field(),
        encrypted=True,
        description=(
            "Private JWKs (RSA, EC or OKP), per client, that sign `private_key_jwt` assertions; register their"
            " public parts at the provider. Unlike Kong, sekisho does not generate them: `private_key_jwt`"
            " needs one."
        ),
    ),
    "client_alg": Array(
        String(one_of=_ASSERTION_ALGORITHMS),
        description=(
            "Algorithm of the client assertions, per client: HS256/384/512 for `client_secret_jwt` (default"
            " HS256); for `private_key_jwt` one that fits the key (default: the key's `alg`, else RS256, ES256"
            " or EdDSA by key type)."
        ),
    ),
    "client_arg": String(default="client_id", description="Request argument that selects one of several clients."),
    "token_endpoint_auth_method": String(one_of=_CLIENT_AUTH, description="Overrides `client_auth` for tokens."),
    "introspection_endpoint_auth_method": String(
        one_of=_CLIENT_AUTH, description="Overrides `client_auth` for introspection."
    ),
    "revocation_endpoint_auth_method": String(
        one_of=_CLIENT_AUTH, description="Overrides `client_auth` for revocation."
    ),
    # -- which credentials are accepted ------------------------------------------------------------------
    "auth_methods": Array(
        String(one_of=AUTH_METHODS),
        default=list(AUTH_METHODS),
        required=True,
        description=(
            "Enabled authentication methods, tried in Kong's order: session, bearer, introspection, userinfo,"
            " refresh_token, password, client_credentials, authorization_code. `kong_oauth2` is not supported."
        ),
    ),
    "bearer_token_param_type": Array(
        String(one_of=[*_PARAM_TYPES, "cookie"]),
        default=list(_PARAM_TYPES),
        description="Where to look for a bearer token: `header`, `query`, `body`, `cookie`.",
    ),
    "bearer_token_cookie_name": String(description="Cookie carrying a bearer token (with `cookie`)."),
    "client_credentials_param_type": Array(
        String(one_of=_PARAM_TYPES), default=list(_PARAM_TYPES), description="Where to look for client credentials."
    ),
    "password_param_type": Array(
        String(one_of=_PARAM_TYPES), default=list(_PARAM_TYPES), description="Where to look for username/password."
    ),
    "refresh_token_param_type": Array(
        String(one_of=_PARAM_TYPES), default=list(_PARAM_TYPES), description="Where to look for a refresh token."
    ),
    "refresh_token_param_name": String(description="Name of the refresh token argument (enables that method)."),
    "id_token_param_type": Array(
        String(one_of=_PARAM_TYPES), default=list(_PARAM_TYPES), description="Where to look for an ID token."
    ),
    "id_token_param_name": String(description="Name of an ID token argument sent along with a bearer token."),
    "introspect_jwt_tokens": flag(False, "Also introspect JWT access tokens after local verification."),
    "refresh_tokens": flag(True, "Refresh an expired access token with the session's refresh token."),
    "hide_credentials": flag(False, "Remove the credential that authenticated the request before proxying."),
    "run_on_preflight": flag(True, "Run on `OPTIONS` preflight requests."),
    "search_user_info": flag(False, "Search userinfo for claims not found in the tokens."),
    # -- authorization code flow -----------------------------------------------------------------------------
    "response_mode": String(
        default="query",
        one_of=["query", "form_post", "fragment"],
        description="How the provider returns the authorization response.",
    ),
    "response_type": Array(String(), default=["code"], description="Response type(s) requested."),
    "scopes": Array(String(), default=["openid"], description="Scopes requested (space-joined)."),
    "audience": strings("Audience requested (sent as `audience` to the authorization endpoint)."),
    "redirect_uri": urls("Callback URL(s) registered at the provider. Default: the request URL without query."),
    "authorization_query_args_names": strings("Extra authorization request argument names."),
    "authorization_query_args_values": strings("Values of `authorization_query_args_names`."),
    "authorization_query_args_client": strings("Arguments copied from the client request to the authorization URL."),
    "max_age": Number(description="Maximum authentication age in seconds (sent and checked with `auth_time`)."),
    "preserve_query_args": flag(False, "Restore the original query string after the login round trip."),
    "require_proof_key_for_code_exchange": Boolean(
        description="PKCE: sekisho always uses S256 unless this is `false` (Cognito supports it unadvertised)."
    ),
    # -- authorization cookie -------------------------------------------------------------------------------
    "authorization_cookie_name": String(default="authorization", description="Cookie holding the login state."),
    "authorization_cookie_lifetime": Number(default=600, description="Seconds a login round trip may take."),
    "authorization_cookie_path": String(default="/", description="Path of the authorization cookie."),
    "authorization_cookie_domain": String(description="Domain of the authorization cookie."),
    "authorization_cookie_samesite": String(
        default="off", one_of=_SAMESITE, description="SameSite of the authorization cookie (`off`: not sent)."
    ),
    "authorization_cookie_httponly": flag(True, "HttpOnly on the authorization cookie."),
    "authorization_cookie_secure": Boolean(description="Secure on the authorization cookie (default: by scheme)."),
    # -- session ------------------------------------------------------------------------------------------
    "session_secret": String(
        encrypted=True,
        description="Secret sealing sessions. Default: generated once and stored so all workers and nodes agree.",
    ),
    "session_cookie_name": String(default="session", description="Session cookie name."),
    "session_cookie_lifetime": Number(default=3600, description="Rolling session lifetime in seconds."),
    "session_cookie_idletime": Number(description="Idle timeout in seconds (none by default, as in Kong 2.8)."),
    "session_absolute_timeout": Number(default=86400, description="Absolute session lifetime in seconds (Kong 3.x)."),
    "session_cookie_renew": Number(default=600, description="Accepted for compatibility; sessions roll on use."),
    "session_cookie_path": String(default="/", description="Session cookie path."),
    "session_cookie_domain": String(description="Session cookie domain."),
    "session_cookie_samesite": String(default="Lax", one_of=_SAMESITE, description="Session cookie SameSite."),
    "session_cookie_httponly": flag(True, "HttpOnly on the session cookie."),
    "session_cookie_secure": Boolean(description="Secure on the session cookie (default: by scheme)."),
    "session_cookie_maxsize": Integer(default=4000, between=(1000, 8000), description="Size of one cookie chunk."),
    "session_strategy": unsupported(
        String(default="default", one_of=["default", "regenerate"], description="Session id strategy."), _NOT_YET
    ),
    "session_compressor": unsupported(
        String(default="none", one_of=["none", "zlib"], description="Session compression."), _NOT_YET
    ),
    "session_storage": String(
        default="cookie",
        one_of=["cookie", "redis", "memcache", "memcached"],
        validators=[lambda v: "not supported by sekisho: memcache" if v.startswith("memcache") else None],
        description="Where session data lives: `cookie` (sealed in the browser) or `redis` (revocable).",
    ),
    "session_redis_prefix": String(default="sessions", description="Redis key prefix."),
    "session_redis_socket": unsupported(String(description="Redis unix socket."), _NOT_YET),
    "session_redis_host": String(default="127.0.0.1", description="Redis host."),
    "session_redis_port": Integer(default=6379, between=(0, 65535), description="Redis port."),
    "session_redis_username": String(description="Redis ACL username."),
    "session_redis_password": String(encrypted=True, description="Redis password."),
    "session_redis_connect_timeout": Integer(description="Redis connect timeout (ms)."),
    "session_redis_read_timeout": Integer(description="Redis read timeout (ms)."),
    "session_redis_send_timeout": Integer(description="Redis send timeout (ms)."),
    "session_redis_ssl": flag(False, "Use TLS to Redis."),
    "session_redis_ssl_verify": flag(False, "Verify Redis's TLS certificate."),
    "session_redis_server_name": String(description="SNI for Redis over TLS."),
    "session_redis_cluster_nodes": unsupported(Array(Field(), description="Redis Cluster nodes."), _NOT_YET),
    "session_redis_cluster_maxredirections": unsupported(Integer(description="Redis Cluster redirections."), _NOT_YET),
    "disable_session": Array(String(one_of=AUTH_METHODS), description="Methods for which no session is created."),
    "reverify": flag(False, "Verify the tokens stored in the session on every request."),
    "jwt_session_cookie": unsupported(String(description="Cookie whose value must equal a JWT claim."), _NOT_YET),
    "jwt_session_claim": String(default="sid", description="Claim compared with `jwt_session_cookie`."),
    # -- login ----------------------------------------------------------------------------------------------
    "login_methods": Array(
        String(one_of=AUTH_METHODS),
        default=["authorization_code"],
        description="Methods after which `login_action` applies.",
    ),
    "login_action": String(
        default="upstream",
        one_of=["upstream", "response", "redirect"],
        description="After login: continue `upstream`, answer with tokens (`response`), or `redirect`.",
    ),
    "login_tokens": Array(
        String(one_of=["id_token", "access_token", "refresh_token", "tokens", "introspection"]),
        default=["id_token"],
        description="What `response`/`redirect` login actions return; empty returns nothing.",
    ),
    "login_redirect_mode": String(
        default="fragment", one_of=["query", "fragment"], description="Where login tokens go on the redirect."
    ),
    "login_redirect_uri": urls("Where to redirect after login (`login_action = redirect`)."),
    # -- logout -----------------------------------------------------------------------------------------------
    "logout_methods": Array(
        String(one_of=["GET", "POST", "DELETE"]), default=["POST", "DELETE"], description="Methods that may log out."
    ),
    "logout_query_arg": String(description="Log out when this query argument is present."),
    "logout_post_arg": String(description="Log out when this form argument is present."),
    "logout_uri_suffix": String(description="Log out when the path ends with this suffix."),
    "logout_redirect_uri": urls("Where to send the browser after logout (for Cognito: its `/logout?...` URL)."),
    "post_logout_redirect_uri": urls(
        "Sent as `post_logout_redirect_uri` to the provider's `end_session_endpoint` (RP-Initiated Logout 1.0); "
        "used only when `logout_redirect_uri` is not set (sekisho addition)."
    ),
    "logout_revoke": flag(False, "Revoke tokens at the provider on logout."),
    "logout_revoke_access_token": flag(True, "With `logout_revoke`: revoke the access token."),
    "logout_revoke_refresh_token": flag(True, "With `logout_revoke`: revoke the refresh token."),
    # -- back-channel logout (sekisho addition: OpenID Connect Back-Channel Logout 1.0) --------------------------
    "backchannel_logout_uri_suffix": String(
        description="A POST to a path ending with this suffix (on a route where the plugin runs) is the "
        "back-channel logout endpoint (register its URL as the client's `backchannel_logout_uri`). "
        "Unset: no back-channel logout."
    ),
    "backchannel_logout_storage": String(
        one_of=["memory", "redis"],
        description="Where the logout state (revoked sub/sid, seen `jti`s, session index) lives: `redis` "
        "(the `session_redis_*` server, shared by every worker and node) or `memory` (this worker only, "
        "bounded). Default: `redis` when `session_storage = redis`, else `memory`.",
    ),
    "backchannel_logout_token_max_age": Integer(
        default=300,
        between=(1, 86400),
        description="How old (by `iat`, plus `leeway`) a logout token may be; its `jti` is remembered that long.",
    ),
    # -- failures -----------------------------------------------------------------------------------------------
    "unauthorized_redirect_uri": urls("Redirect here instead of answering 401."),
    "unauthorized_error_message": String(default="Unauthorized", description="Message of 401 answers."),
    "unauthorized_destroy_session": flag(True, "Destroy the session on 401."),
    "forbidden_redirect_uri": urls("Redirect here instead of answering 403."),
    "forbidden_error_message": String(default="Forbidden", description="Message of 403 answers."),
    "forbidden_destroy_session": flag(True, "Destroy the session on 403."),
    "unexpected_redirect_uri": urls("Redirect here instead of answering 500."),
    "display_errors": flag(False, "Append the reason to error messages (never secrets)."),
    # -- consumers --------------------------------------------------------------------------------------------
    "consumer_claim": strings("Claim path whose value finds the Kong consumer."),
    "consumer_by": Array(
        String(one_of=["id", "username", "custom_id"]),
        default=["username", "custom_id"],
        description="Consumer fields tried in order with the `consumer_claim` value.",
    ),
    "by_username_ignore_case": flag(False, "Match usernames case-insensitively."),
    "consumer_optional": flag(False, "Continue without a consumer when none is found (else 403)."),
    "credential_claim": Array(String(), default=["sub"], description="Claim used as the credential identifier."),
    "anonymous": String(description="Consumer id or username used when authentication fails."),
    "authenticated_groups_claim": strings("Claim whose values become the authenticated groups."),
    # -- claim-based authorization ----------------------------------------------------------------------------
    "scopes_required": strings("Required scopes: elements OR-ed, space-separated values within one AND-ed."),
    "scopes_claim": Array(String(), default=["scope"], description="Claim path of the scopes."),
    "audience_required": strings("Required audiences (for Cognito access tokens use `audience_claim: [client_id]`)."),
    "audience_claim": Array(String(), default=["aud"], description="Claim path of the audience."),
    "groups_required": strings("Required groups."),
    "groups_claim": Array(String(), default=["groups"], description="Claim path of the groups (`cognito:groups`)."),
    "roles_required": strings("Required roles."),
    "roles_claim": Array(String(), default=["roles"], description="Claim path of the roles."),
    "domains": strings("Allowed values of the `hd` claim."),
    # -- verification -----------------------------------------------------------------------------------------
    "verify_signature": flag(True, "Verify token signatures."),
    "verify_claims": flag(True, "Verify standard claims."),
    "verify_nonce": flag(True, "Verify the ID token nonce."),
    "verify_parameters": flag(False, "Check configured parameters against discovery."),
    "leeway": Number(default=0, description="Clock skew tolerance in seconds."),
    "enable_hs_signatures": flag(False, "Accept HS256/384/512 tokens signed with the client secret."),
    "ignore_signature": Array(
        String(one_of=AUTH_METHODS), default=[], description="Grants whose signature is not checked."
    ),
    "introspection_check_active": flag(True, "Introspection must answer `active: true`."),
    "resolve_distributed_claims": unsupported(flag(False, "Resolve distributed claims."), _NOT_YET),
    # -- headers ------------------------------------------------------------------------------------------------
    "upstream_access_token_header": String(
        default="authorization:bearer", description="Upstream header for the access token."
    ),
    "upstream_access_token_jwk_header": String(description="Upstream header for the access token's JWK."),
    "upstream_id_token_header": String(description="Upstream header for the ID token."),
    "upstream_id_token_jwk_header": String(description="Upstream header for the ID token's JWK."),
    "upstream_refresh_token_header": String(description="Upstream header for the refresh token."),
    "upstream_user_info_header": String(description="Upstream header for userinfo (base64 JSON)."),
    "upstream_user_info_jwt_header": String(description="Upstream header for a userinfo JWT."),
    "upstream_introspection_header": String(description="Upstream header for introspection (base64 JSON)."),
    "upstream_introspection_jwt_header": String(description="Upstream header for an introspection JWT."),
    "upstream_session_id_header": String(description="Upstream header for the session id."),
    "upstream_headers_claims": strings("Claims forwarded upstream as headers."),
    "upstream_headers_names": strings("Header names for `upstream_headers_claims`."),
    "downstream_access_token_header": String(description="Response header for the access token."),
    "downstream_access_token_jwk_header": String(description="Response header for the access token's JWK."),
    "downstream_id_token_header": String(description="Response header for the ID token."),
    "downstream_id_token_jwk_header": String(description="Response header for the ID token's JWK."),
    "downstream_refresh_token_header": String(description="Response header for the refresh token."),
    "downstream_user_info_header": String(description="Response header for userinfo (base64 JSON)."),
    "downstream_user_info_jwt_header": String(description="Response header for a userinfo JWT."),
    "downstream_introspection_header": String(description="Response header for introspection (base64 JSON)."),
    "downstream_introspection_jwt_header": String(description="Response header for an introspection JWT."),
    "downstream_session_id_header": String(description="Response header for the session id."),
    "downstream_headers_claims": strings("Claims returned to the client as headers."),
    "downstream_headers_names": strings("Header names for `downstream_headers_claims`."),
    "token_headers_replay": strings("Token endpoint response headers replayed downstream."),
    "token_headers_prefix": String(description="Prefix for replayed token endpoint headers."),
    "token_headers_grants": strings("Grants whose token endpoint headers are replayed."),
    # -- extra arguments ----------------------------------------------------------------------------------------
    "token_headers_names": strings("Extra token request header names."),
    "token_headers_values": strings("Values of `token_headers_names`."),
    "token_headers_client": strings("Client request headers copied to the token request."),
    "token_post_args_names": strings("Extra token request arguments."),
    "token_post_args_values": strings("Values of `token_post_args_names`."),
    "token_post_args_client": strings("Client request arguments copied to the token request."),
    "introspection_hint": String(default="access_token", description="`token_type_hint` for introspection."),
    "introspection_headers_names": strings("Extra introspection header names."),
    "introspection_headers_values": strings("Values of `introspection_headers_names`."),
    "introspection_headers_client": strings("Client headers copied to introspection."),
    "introspection_post_args_names": strings("Extra introspection arguments."),
    "introspection_post_args_values": strings("Values of `introspection_post_args_names`."),
    "introspection_post_args_client": strings("Client arguments copied to introspection."),
    "introspection_accept": String(
        default="application/json",
        one_of=["application/json", "application/token-introspection+jwt", "application/jwt"],
        description="Accept header of introspection requests.",
    ),
    "userinfo_accept": String(
        default="application/json", one_of=["application/json", "application/jwt"], description="Userinfo Accept."
    ),
    "userinfo_headers_names": strings("Extra userinfo header names."),
    "userinfo_headers_values": strings("Values of `userinfo_headers_names`."),
    "userinfo_headers_client": strings("Client headers copied to userinfo."),
    "userinfo_query_args_names": strings("Extra userinfo query arguments."),
    "userinfo_query_args_values": strings("Values of `userinfo_query_args_names`."),
    "userinfo_query_args_client": strings("Client arguments copied to userinfo."),
    # -- caching -------------------------------------------------------------------------------------------------
    "cache_ttl": Number(default=3600, description="Cache TTL for items without their own expiry."),
    "cache_ttl_max": Number(description="Maximum cache TTL."),
    "cache_ttl_min": Number(description="Minimum cache TTL."),
    "cache_ttl_neg": Number(description="Negative cache TTL."),
    "cache_ttl_resurrect": Number(description="Stale-on-error TTL."),
    "cache_tokens": flag(
        True,
        "Cache token endpoint responses of password/client_credentials grants per credentials hash until they "
        "expire; a cached token that fails verification is asked for again once.",
    ),
    "cache_tokens_salt": String(
        description="Salt of the token cache key; instances with the same salt share cached tokens. Unset: "
        "a random salt per instance."
    ),
    "cache_introspection": flag(True, "Cache introspection results until `exp`."),
    "cache_token_exchange": flag(True, "Cache token exchange results."),
    "cache_user_info": flag(
        True, "Cache userinfo answers per access-token hash until the token expires (else for `cache_ttl`)."
    ),
    # -- HTTP client -----------------------------------------------------------------------------------------------
    "ssl_verify": flag(
        True,
        "Verify the provider's TLS certificate. Kong 2.8 defaults to `false`; sekisho defaults to `true`.",
    ),
    "ssl_ca_bundle": String(description="CA bundle file used with `ssl_verify` (sekisho addition)."),
    "timeout": Number(default=10000, description="Timeout of provider calls in milliseconds."),
    "keepalive": flag(True, "Keep connections to the provider alive."),
    "http_version": Number(default=1.1, one_of=[1.0, 1.1], description="HTTP version towards the provider."),
    "http_proxy": unsupported(String(description="Forward proxy for http."), _NOT_YET),
    "http_proxy_authorization": unsupported(String(description="Forward proxy authorization."), _NOT_YET),
    "https_proxy": unsupported(String(description="Forward proxy for https."), _NOT_YET),
    "https_proxy_authorization": unsupported(String(description="Forward proxy authorization."), _NOT_YET),
    "no_proxy": unsupported(String(description="Hosts not proxied."), _NOT_YET),
}

# Kong 3.x spellings of 2.8 fields.
_RENAMED = {
    "authorization_rolling_timeout": "authorization_cookie_lifetime",
    "authorization_cookie_same_site": "authorization_cookie_samesite",
    "authorization_cookie_http_only": "authorization_cookie_httponly",
    "session_rolling_timeout": "session_cookie_lifetime",
    "session_idling_timeout": "session_cookie_idletime",
    "session_cookie_same_site": "session_cookie_samesite",
    "session_cookie_http_only": "session_cookie_httponly",
}


def _checks(row: dict[str, Any]) -> dict[str, Any] | None:
    errors: dict[str, Any] = {}
    if "kong_oauth2" in (row.get("auth_methods") or []) and row.get("auth_methods") != AUTH_METHODS:
        errors["auth_methods"] = "not supported by sekisho: kong_oauth2 (Kong's own oauth2 plugin tokens)"
    for names, values in (
        ("upstream_headers_claims", "upstream_headers_names"),
        ("downstream_headers_claims", "downstream_headers_names"),
        ("authorization_query_args_names", "authorization_query_args_values"),
        ("token_post_args_names", "token_post_args_values"),
        ("token_headers_names", "token_headers_values"),
        ("discovery_headers_names", "discovery_headers_values"),
    ):
        if len(row.get(names) or []) != len(row.get(values) or []):
            errors[values] = f"must have as many elements as '{names}'"
    secrets = row.get("client_secret") or []
    ids = row.get("client_id") or []
    if len(secrets) > max(1, len(ids)):
        errors["client_secret"] = "has more elements than 'client_id'"
    _check_client_assertions(row, errors)
    return errors or None


def per_client(values: Any, index: int) -> Any:
    """Kong's per-client arrays: element `index`, else the first, else None."""
    if not values:
        return None
    return values[index] if index < len(values) else values[0]


def client_auth_methods(conf: Mapping[str, Any], index: int) -> dict[str, str]:
    """Client `index`'s authentication per endpoint: `<endpoint>_endpoint_auth_method`, else its
    `client_auth`; endpoints with neither are left out (the default: basic with a secret, else none)."""
    default = per_client(conf.get("client_auth"), index)
    methods: dict[str, str] = {}
    for endpoint in ENDPOINTS:
        method = conf.get(f"{endpoint}_endpoint_auth_method") or default
        if method:
            methods[endpoint] = method
    return methods


def _check_client_assertions(row: dict[str, Any], errors: dict[str, Any]) -> None:
    """What each client's JWT client authentication needs: a secret, or a private key that fits its alg."""
    for index in range(max(1, len(row.get("client_id") or []))):
        methods = set(client_auth_methods(row, index).values())
        alg = per_client(row.get("client_alg"), index)
        if "client_secret_jwt" in methods:
            if not per_client(row.get("client_secret"), index):
                errors["client_secret"] = "client_secret_jwt needs the client's secret"
            if alg is not None and alg not in SECRET_ALGORITHMS and "private_key_jwt" not in methods:
                errors["client_alg"] = f"client_secret_jwt signs with {', '.join(SECRET_ALGORITHMS)}, not {alg}"
        if "private_key_jwt" in methods:
            jwk = per_client(row.get("client_jwk"), index)
            if jwk is None:
                errors["client_jwk"] = "private_key_jwt needs the client's private key (sekisho does not make one)"
                continue
            try:
                client_assertion_key(jwk, alg if alg not in SECRET_ALGORITHMS else None)
            except ValueError as exc:
                errors["client_jwk"] = str(exc)


CONFIG = Record(_FIELDS, checks=[_checks], renamed=_RENAMED)
