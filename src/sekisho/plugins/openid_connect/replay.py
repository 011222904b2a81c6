"""Verdicts: what a successful access phase did for a credential, done again without redoing the work.

A browser or an API client sends the same session cookie or bearer token on request after request. The first
request runs the whole `AccessFlow` (decrypt the session or verify the JWT, check claims, map the consumer,
compute headers); when its outcome depends only on that credential, it is remembered as a `Verdict` keyed by
the credential's exact header value, and the following requests replay it synchronously (`try_access`) until
the verdict runs out: the token's expiry, the next time the session must be written back, a consumer change.

Only outcomes that are a pure function of the key are remembered (see `AccessFlow._remember`): no Redis
sessions (revocable server side), no back-channel logout, no userinfo or introspection calls, no login
action, one client. Anything unusual in a request (logout, preflight, another credential) takes the full
flow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sekisho.pdk import PDK, PreparedHeaders

if TYPE_CHECKING:
    from sekisho.plugins.openid_connect.prepared import Prepared

__all__ = [
    "BEARER_KEY",
    "SESSION_KEY",
    "Verdict",
    "VerdictBook",
    "apply",
    "logout_in_url",
    "replay_verdict",
    "request_key",
    "strip_spoofed_headers",
]

_BOOK_SIZE = 4096
_BOOK_BYTES = 8 * 1024 * 1024  # keys and remembered header values: session cookies and tokens are kilobytes each


@dataclass(frozen=True, slots=True)
class Verdict:
    valid_until: float  # wall clock
    consumer: dict[str, Any] | None
    credential: dict[str, Any] | None
    consumer_cache_key: tuple[str, ...] | None  # the kong.cache entry the consumer came from
    consumer_cached: Any  # that entry's value then: a different one now means the consumer changed
    groups: list[str] | None  # kong.ctx.shared.authenticated_groups
    upstream: PreparedHeaders | None  # header edits of the request sent upstream
    downstream: PreparedHeaders | None  # and of the response
    size: int = 0  # bytes of the header names and values those edits hold


class VerdictBook:
    """Verdicts of one plugin instance, by request key; bounded in count and in the bytes of keys and header
    values it holds (full means start over: verdicts are cheap to rebuild)."""

    __slots__ = ("_bytes", "_verdicts")

    def __init__(self) -> None:
        self._verdicts: dict[str, Verdict] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._verdicts)

    @property
    def empty(self) -> bool:
        return not self._verdicts

    def get(self, key: str) -> Verdict | None:
        verdict = self._verdicts.get(key)
        if verdict is not None and time.time() >= verdict.valid_until:
            del self._verdicts[key]
            return None
        return verdict

    def put(self, key: str, verdict: Verdict) -> None:
        if verdict.valid_until <= time.time():
            return
        size = len(key) + verdict.size
        if len(self._verdicts) >= _BOOK_SIZE or self._bytes + size > _BOOK_BYTES:
            self.clear()
        self._verdicts[key] = verdict
        self._bytes += size

    def forget(self, key: str) -> None:
        self._verdicts.pop(key, None)

    def clear(self) -> None:
        self._verdicts.clear()
        self._bytes = 0


BEARER_KEY, SESSION_KEY = "b", "s"


def request_key(kong: PDK, bearer_in_header: bool) -> str | None:
    """The key a request's verdict is filed under: `b` and the bearer header (when bearer tokens are read from
    headers and one is there), else `s` and the whole Cookie header; then the scheme (cookies differ by it)."""
    request = kong.request
    scheme = request.get_forwarded_scheme()
    if bearer_in_header:
        authorization = request.get_header("authorization")
        if authorization is not None:
            return BEARER_KEY + scheme + " " + authorization
    cookie = request.get_header("cookie")
    if cookie is not None:
        return SESSION_KEY + scheme + " " + cookie
    return None


def apply(kong: PDK, verdict: Verdict) -> bool:
    """Do what the verdict says; False (and nothing done) when its consumer is no longer what was cached.

    The consumer and credential rows are handed over as they are, like rows from `kong.cache`: shared,
    read-only by convention."""
    if verdict.consumer_cache_key is not None:
        cached, value = kong.cache.peek(verdict.consumer_cache_key)
        if not cached or value is not verdict.consumer_cached:
            return False
    kong.client.authenticate(verdict.consumer, verdict.credential)
    if verdict.groups:
        kong.ctx.shared["authenticated_groups"] = list(verdict.groups)
    if verdict.upstream is not None:
        kong.service.request.apply_headers(verdict.upstream)
    if verdict.downstream is not None:
        kong.response.apply_headers(verdict.downstream)
    return True


def strip_spoofed_headers(kong: PDK, wanted: frozenset[str]) -> None:
    """Remove client-supplied copies of the headers we set upstream, in every spelling, on every request
    (also those we do not authenticate: preflights, anonymous, failures)."""
    for name in kong.request.get_headers(0):  # all of them: a spoofed copy may come late
        if name.replace("_", "-") in wanted:
            kong.service.request.clear_header(name)


def logout_in_url(kong: PDK, conf: Any) -> bool:
    """`logout_query_arg` in the query string or `logout_uri_suffix` ending the path (the method aside)."""
    request = kong.request
    if conf.get("logout_query_arg") and request.get_query_arg(conf["logout_query_arg"]) is not None:
        return True
    return bool(conf.get("logout_uri_suffix")) and request.get_path().endswith(conf["logout_uri_suffix"])


def _logout_may_be_requested(kong: PDK, conf: Any, method: str) -> bool:
    """Whether the flow's `_logout_requested` could say yes, without reading the body (`method` is a logout method)."""
    return logout_in_url(kong, conf) or (bool(conf.get("logout_post_arg")) and method == "POST")


def replay_verdict(kong: PDK, prepared: Prepared) -> bool:
    """The access phase from a remembered verdict (see `replay`); False when the full flow must run."""
    book = prepared.verdicts
    if book is None or book.empty:
        return False
    method = kong.request.get_method()
    if method == "OPTIONS":
        return False
    if method in prepared.logout_methods and _logout_may_be_requested(kong, prepared.conf, method):
        return False
    if prepared.anonymous and kong.client.get_credential() is not None:
        return False
    key = request_key(kong, prepared.bearer_in_header)
    if key is None:
        return False
    verdict = book.get(key)
    if verdict is None:
        return False
    if prepared.identity_headers:
        strip_spoofed_headers(kong, prepared.identity_headers)
    if not apply(kong, verdict):
        book.forget(key)
        return False
    return True
