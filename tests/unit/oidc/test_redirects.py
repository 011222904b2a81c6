"""Open-redirect payloads from the security spec (§0.4) must all fail."""

from __future__ import annotations

import pytest

from sekisho.oidc.redirects import safe_redirect

ORIGIN = "https://gw.example:8443"
ALLOWED = ["https://portal.example/default", "https://idp.example/logout?client_id=abc&logout_uri=x"]


@pytest.mark.parametrize(
    "payload",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%09/evil.example",
        "/%2F/evil.example",
        "/%5Cevil.example",
        "/%2509/evil.example",
        "https:evil.example",
        "https://evil.example",
        "https://gw.example:8443@evil.example/",
        "https://evil.example/https://gw.example:8443/",
        "https://gw.example.evil.example:8443/",
        "http://gw.example:8443/",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=y",
        "/\x00evil",
        "",
        "https://portal.example/default.evil.example",
        "https://portal.example/default/../../evil",
    ],
)
def test_open_redirect_payloads_are_refused(payload: str) -> None:
    assert safe_redirect(payload, allowed=ALLOWED, origin=ORIGIN) is None


@pytest.mark.parametrize(
    "target",
    [
        "/anything?x=1#frag",
        "https://gw.example:8443/cognito/anything",
        "https://portal.example/default",
        "https://portal.example/default/",
        "https://idp.example/logout?client_id=abc&logout_uri=x",
    ],
)
def test_own_origin_paths_and_configured_uris_are_allowed(target: str) -> None:
    assert safe_redirect(target, allowed=ALLOWED, origin=ORIGIN) == target
