"""Headless Chromium through the portal with the seed's OIDC settings against the local IdP: catalog and spec,
OIDC login of an unknown developer -> prefilled sign-up -> pending (unauthorized page) -> approval -> login ->
application key that opens a key-auth route -> logout through the IdP back to the portal.
Screenshots of the main pages go to test-artifacts/portal/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.portal.harness import PortalThread, configure_oidc
from tests.integration.idp.flows import PASSWORD
from tests.integration.idp.harness import IdpThread, cognito_client
from tests.integration.portal.oidc_setup import add_user, create_seed_pool, seed_auth_conf

from sekisho.portal.developers import find_developer, update_developer
from sekisho.store.base import Database

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "portal"
EMAIL = "ada@example.com"


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _approve(db: Database) -> None:
    developer = await find_developer(db, EMAIL)
    assert developer is not None
    await update_developer(db, developer, {"status": 0})


def test_register_approve_login_key_logout(idp: IdpThread, portal: PortalThread, browser: Any) -> None:
    cognito = cognito_client(idp.url)
    gui, api = portal.gui_url, portal.api_url
    pool = create_seed_pool(idp, cognito, callbacks=[f"{api}/default/auth"], logout_urls=[f"{gui}/default"])
    add_user(cognito, pool, EMAIL)
    configure_oidc(portal, seed_auth_conf(pool, api=api, gui=gui))

    page = browser.new_page()
    page.goto(f"{gui}/default")
    assert page.locator("#nav-login").is_visible()
    _shot(page, "01-home")
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("link", name="Echo API", exact=True).click()
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Echo API" in page.locator(".swagger-ui .info .title").inner_text()
    _shot(page, "02-spec")

    # an unknown developer signs in at the IdP and lands on the sign-up form with the IdP's email
    page.goto(f"{gui}/default/login")
    _shot(page, "03-login")
    page.get_by_role("link", name="Log in with OpenID Connect", exact=True).click()
    page.wait_for_url("**/login?**")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{gui}/default/register")
    email_field = page.locator("#email")
    assert email_field.input_value() == EMAIL
    assert email_field.get_attribute("readonly") is not None
    page.get_by_label("Full Name").fill("Ada Lovelace")
    _shot(page, "04-register")
    page.get_by_role("button", name="Sign up").click()
    assert "under review" in page.locator("#registered").inner_text()

    # pending: the login ends on the unauthorized page
    page.goto(f"{gui}/default/login")
    page.get_by_role("link", name="Log in with OpenID Connect", exact=True).click()
    page.wait_for_url(f"{gui}/default/unauthorized")
    assert "pending" in page.locator("#status").inner_text()
    _shot(page, "05-unauthorized")

    portal.call(_approve)
    # approved: the Portal API's login sends the developer to login_redirect_uri
    page.goto(f"{api}/default/auth")
    page.wait_for_url(f"{gui}/default")
    assert page.locator("#nav-account").inner_text() == EMAIL

    page.locator("#nav-account").click()
    page.get_by_label("Name").fill("weather-app")
    page.get_by_role("button", name="Create application").click()
    page.wait_for_url(f"{gui}/default/account")
    key = page.locator("section.application code.api-key").first.inner_text()
    _shot(page, "06-account")
    assert httpx.get(f"{portal.proxy_url}/echo").status_code == 401
    assert httpx.get(f"{portal.proxy_url}/echo", headers={"apikey": key}).status_code == 200

    page.get_by_role("button", name="Rotate").click()
    page.wait_for_url(f"{gui}/default/account")
    new_key = page.locator("section.application code.api-key").first.inner_text()
    assert new_key != key
    assert httpx.get(f"{portal.proxy_url}/echo", headers={"apikey": key}).status_code == 401
    assert httpx.get(f"{portal.proxy_url}/echo", headers={"apikey": new_key}).status_code == 200

    # logout: portal session gone, IdP /logout, back on the portal
    page.get_by_role("link", name="Log out", exact=True).click()
    page.wait_for_url(f"{gui}/default")
    assert page.locator("#nav-login").is_visible()
    _shot(page, "07-logged-out")
    page.goto(f"{gui}/default/account")
    page.wait_for_url(f"{gui}/default/login")
    # the IdP session ended too: logging in asks for the password again
    page.get_by_role("link", name="Log in with OpenID Connect", exact=True).click()
    page.wait_for_url("**/login?**")
    assert page.get_by_role("button", name="Sign in").is_visible()
