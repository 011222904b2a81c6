"""Pure rules: redirect URLs, claim filtering by scope and read permission, identifier formats."""

from __future__ import annotations

import re

import pytest

from sekisho.idp.ids import new_client_id, new_client_secret, new_pool_id, new_temporary_password
from sekisho.idp.passwords import DEFAULT_PASSWORD_POLICY, check_policy
from sekisho.idp.targets._client_settings import is_allowed_redirect
from sekisho.idp.tokens import attribute_claims


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://app.example.com/cb", True),
        ("http://localhost:8000/cb", True),
        ("http://127.0.0.1/cb", True),
        ("http://[::1]:3000/cb", True),
        ("myapp://callback", True),
        ("http://app.example.com/cb", False),
        ("https://app.example.com/cb#fragment", False),
        ("/relative", False),
        ("javascript:alert(1)", False),
    ],
)
def test_callback_urls(url: str, allowed: bool) -> None:
    assert is_allowed_redirect(url) is allowed


USER = {
    "Attributes": [
        {"Name": "sub", "Value": "s"},
        {"Name": "email", "Value": "a@example.com"},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "given_name", "Value": "A"},
        {"Name": "phone_number", "Value": "+15555550100"},
        {"Name": "custom:tier", "Value": "7"},
    ]
}


def test_claims_follow_scopes_and_read_permissions() -> None:
    everything = attribute_claims({}, USER, ["openid"])
    assert everything == {
        "email": "a@example.com",
        "email_verified": True,
        "given_name": "A",
        "phone_number": "+15555550100",
    }
    assert attribute_claims({}, USER, ["openid", "email"]) == {"email": "a@example.com", "email_verified": True}
    assert attribute_claims({}, USER, ["openid", "profile"]) == {"given_name": "A"}
    as_userinfo = attribute_claims({}, USER, ["openid", "email"], as_strings=True)
    assert as_userinfo["email_verified"] == "true"
    custom_reader = {"ReadAttributes": ["email", "custom:tier"]}
    assert attribute_claims(custom_reader, USER, None) == {"email": "a@example.com", "custom:tier": "7"}


def test_identifier_formats() -> None:
    assert re.fullmatch(r"eu-central-1_[A-Za-z0-9]{9}", new_pool_id("eu-central-1"))
    assert re.fullmatch(r"[a-z0-9]{26}", new_client_id())
    assert re.fullmatch(r"[a-z0-9]{51}", new_client_secret())
    for _ in range(20):
        check_policy(new_temporary_password(), DEFAULT_PASSWORD_POLICY)
