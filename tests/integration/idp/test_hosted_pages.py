"""Hosted pages beyond sign-in: forgot/reset password, forced password change, implicit flow, resend, discovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.integration.idp.flows import CALLBACK, PASSWORD, Seeded, csrf_of, login_for_code, query_of, seed_pool
from tests.integration.idp.harness import IdpThread, cognito_client, idp_thread


@pytest.fixture
def seeded(idp: IdpThread, cognito: Any) -> Seeded:
    return seed_pool(idp, cognito, AllowedOAuthFlows=["code", "implicit"])


def page_params(seeded: Seeded, **extra: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": seeded.client_id, "redirect_uri": CALLBACK, "state": "p", **extra}


def submit(http: httpx.Client, url: str, params: dict[str, str], data: dict[str, str]) -> httpx.Response:
    if params:  # httpx would replace a query string already in `url` by an empty `params`
        url = f"{url}?{httpx.QueryParams(params)}"
    page = http.get(url)
    assert page.status_code == 200, page.text
    return http.post(url, data={"_csrf": csrf_of(page.text), **data})


def test_forgot_password_on_the_hosted_ui(idp: IdpThread, seeded: Seeded, http: httpx.Client) -> None:
    params = page_params(seeded)
    sent = submit(http, f"{seeded.domain_url}/forgotPassword", params, {"username": seeded.username})
    assert sent.status_code == 302 and "/confirmForgotPassword?" in sent.headers["location"]
    code = idp.call(lambda svc: svc.outbox.latest_code(seeded.username))
    assert code is not None
    reset_url = sent.headers["location"]
    mismatch = submit(http, reset_url, {}, {"code": code, "password": "New-Passw0rd!1", "confirm_password": "x"})
    assert mismatch.status_code == 400 and "Passwords do not match." in mismatch.text
    wrong = submit(
        http,
        reset_url,
        {},
        {
            "code": "000000" if code != "000000" else "111111",
            "password": "New-Passw0rd!1",
            "confirm_password": "New-Passw0rd!1",
        },
    )
    assert "Invalid verification code provided, please try again." in wrong.text
    done = submit(
        http, reset_url, {}, {"code": code, "password": "New-Passw0rd!1", "confirm_password": "New-Passw0rd!1"}
    )
    assert done.status_code == 302 and "/login?" in done.headers["location"]
    assert login_for_code(http, seeded, password="New-Passw0rd!1").headers["location"].startswith(CALLBACK)


def test_admin_created_user_changes_password_at_first_hosted_login(
    cognito: Any, seeded: Seeded, http: httpx.Client
) -> None:
    cognito.admin_create_user(
        UserPoolId=seeded.pool_id,
        Username="temp@example.com",
        TemporaryPassword="Temp-Passw0rd!",
        MessageAction="SUPPRESS",
    )
    login = submit(
        http,
        f"{seeded.domain_url}/login",
        page_params(seeded),
        {"username": "temp@example.com", "password": "Temp-Passw0rd!"},
    )
    assert login.status_code == 200 and "Change your password" in login.text
    challenge = login.text.split('name="challenge" value="', 1)[1].split('"', 1)[0]
    changed = http.post(
        f"{seeded.domain_url}/login",
        params=page_params(seeded),
        data={
            "_csrf": csrf_of(login.text),
            "challenge": challenge,
            "new_password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert changed.status_code == 302 and changed.headers["location"].startswith(CALLBACK + "?code=")
    status = cognito.admin_get_user(UserPoolId=seeded.pool_id, Username="temp@example.com")["UserStatus"]
    assert status == "CONFIRMED"


def test_implicit_flow_returns_tokens_in_the_fragment(seeded: Seeded, http: httpx.Client) -> None:
    login_for_code(http, seeded)  # starts the hosted session
    response = http.get(
        f"{seeded.domain_url}/oauth2/authorize", params=page_params(seeded, response_type="token", scope="openid email")
    )
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "#")
    fragment = {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}
    assert sorted(fragment) == ["access_token", "expires_in", "id_token", "state", "token_type"]


def test_unconfirmed_user_is_sent_to_confirm_and_can_resend(
    idp: IdpThread, cognito: Any, seeded: Seeded, http: httpx.Client
) -> None:
    cognito.sign_up(
        ClientId=seeded.client_id,
        Username="unc@example.com",
        Password=PASSWORD,
        UserAttributes=[{"Name": "given_name", "Value": "U"}, {"Name": "family_name", "Value": "C"}],
    )
    login = submit(
        http, f"{seeded.domain_url}/login", page_params(seeded), {"username": "unc@example.com", "password": PASSWORD}
    )
    assert "/confirm?" in login.headers["location"]
    assert query_of(login.headers["location"])["username"] == "unc@example.com"
    first = idp.call(lambda svc: svc.outbox.messages("unc@example.com"))
    resent = submit(http, login.headers["location"], {}, {"action": "resend"})
    assert resent.status_code == 200 and "We sent a new code" in resent.text
    assert len(idp.call(lambda svc: svc.outbox.messages("unc@example.com"))) == len(first) + 1
    code = idp.call(lambda svc: svc.outbox.latest_code("unc@example.com"))
    confirmed = submit(http, login.headers["location"], {}, {"code": str(code)})
    assert confirmed.headers["location"].startswith(CALLBACK + "?code=")


def test_sign_up_page_validates_like_cognito(seeded: Seeded, http: httpx.Client) -> None:
    url = f"{seeded.domain_url}/signup"
    page = http.get(url, params=page_params(seeded))
    assert 'name="requiredAttributes[given_name]"' in page.text
    assert 'name="requiredAttributes[family_name]"' in page.text
    assert "At least 8 characters with an uppercase letter, a lowercase letter, a number and a symbol." in page.text
    forged = http.post(f"{url}?{httpx.QueryParams(page_params(seeded))}", data={"username": "f@example.com"})
    assert forged.status_code == 400 and "Your session expired" in forged.text
    weak = submit(
        http,
        url,
        page_params(seeded),
        {
            "username": "w@example.com",
            "password": "weak",
            "requiredAttributes[given_name]": "W",
            "requiredAttributes[family_name]": "K",
        },
    )
    assert weak.status_code == 400 and "Password did not conform with policy" in weak.text
    taken = submit(
        http,
        url,
        page_params(seeded),
        {
            "username": seeded.username,
            "password": PASSWORD,
            "requiredAttributes[given_name]": "W",
            "requiredAttributes[family_name]": "K",
        },
    )
    assert taken.status_code == 400 and "An account with the given email already exists." in taken.text


def test_discovery_variants(tmp_path: Path) -> None:
    with idp_thread(tmp_path / "legacy", legacy_discovery=True, domain_style="host") as idp:
        cognito = cognito_client(idp.url)
        pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
        no_domain = httpx.get(f"{idp.url}/{pool_id}/.well-known/openid-configuration").json()
        assert no_domain["authorization_endpoint"] == f"{idp.url}/{pool_id}/authorize"
        assert "end_session_endpoint" not in no_domain and "revocation_endpoint" not in no_domain
        cognito.create_user_pool_domain(Domain="legacy", UserPoolId=pool_id)
        hosted = httpx.get(f"{idp.url}/{pool_id}/.well-known/openid-configuration").json()
        port = idp.url.rsplit(":", 1)[1]
        assert hosted["token_endpoint"] == f"http://legacy.auth.localhost:{port}/oauth2/token"
        # Host routing: the same endpoint answers when addressed by Host header.
        answer = httpx.post(
            f"{idp.url}/oauth2/token",
            headers={"host": f"legacy.auth.localhost:{port}"},
            data={"grant_type": "client_credentials", "client_id": "nope"},
        )
        assert answer.json() == {"error": "invalid_client"}
