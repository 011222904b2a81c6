"""The whole person's path `make demo` prints, in headless Chromium against a real `sekisho demo --free-ports`:
hosted-UI sign-up with the code from the outbox (read with the printed command), `/cognito/anything` echoing
identity headers, portal sign-up, the unauthorized page while pending, approval with the printed command,
portal login, an application key, the printed key-auth call with it, and the logout round trip to the portal.
Screenshots of the main pages go to test-artifacts/demo/."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.demo.conftest import RunningDemo

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "demo"
EMAIL = "grace@example.com"
PASSWORD = "Hopper-Cobol-1959!"


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _run(demo: RunningDemo, command: str) -> subprocess.CompletedProcess[str]:
    """A printed command line, run as a person pasting it into the shell that started the demo would."""
    return subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60, check=False, cwd=demo.cwd)


def _echo(page: Any) -> dict[str, Any]:
    return dict(json.loads(page.locator("body").inner_text()))


def test_the_printed_path_from_sign_up_to_logout(demo: RunningDemo, browser: Any) -> None:
    proxy = re.search(r"open (http://localhost:\d+)/cognito/anything", demo.output)
    assert proxy, demo.output
    proxy_url = proxy.group(1)
    portal = demo.url("Dev Portal")
    page = browser.new_page()

    # 1. the hosted UI: /cognito/anything -> login page -> "Sign up"
    page.goto(f"{proxy_url}/cognito/anything")
    page.wait_for_url("**/login?**")
    _shot(page, "01-hosted-login")
    page.get_by_role("link", name="Sign up", exact=True).click()
    page.wait_for_url("**/signup?**")
    page.locator("#username").fill(EMAIL)
    page.locator("#attr-given_name").fill("Grace")
    page.locator("#attr-family_name").fill("Hopper")
    page.locator("#password").fill(PASSWORD)
    _shot(page, "02-hosted-signup")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/confirm?**")

    # 2. the code, with the printed outbox command
    outbox = _run(demo, demo.command(" outbox --to you@example.com").replace("you@example.com", EMAIL))
    assert outbox.returncode == 0, outbox.stderr
    code = re.search(r"\b(\d{6})\b", outbox.stdout)
    assert code, outbox.stdout
    page.locator("#code").fill(code.group(1))
    _shot(page, "03-hosted-confirm")
    page.get_by_role("button", name="Confirm account").click()
    page.wait_for_url(f"{proxy_url}/cognito/anything")
    echoed = _echo(page)
    _shot(page, "04-cognito-echo")
    assert echoed["path"] == "/anything"
    assert echoed["headers"]["x-email"] == EMAIL
    assert echoed["headers"]["x-given-name"] == "Grace"
    assert echoed["headers"]["x-family-name"] == "Hopper"
    assert echoed["headers"]["authorization"].startswith("Bearer ")

    # 3. the portal: OIDC login of an unknown developer -> prefilled sign-up -> pending
    page.goto(f"{portal}/login")
    _shot(page, "05-portal-login")
    page.get_by_role("link", name="Log in with OpenID Connect", exact=True).click()
    page.wait_for_url(f"{portal}/register")
    assert page.locator("#email").input_value() == EMAIL
    page.get_by_label("Full Name").fill("Grace Hopper")
    _shot(page, "06-portal-register")
    page.get_by_role("button", name="Sign up").click()
    assert "under review" in page.locator("#registered").inner_text()
    page.goto(f"{portal}/login")
    page.get_by_role("link", name="Log in with OpenID Connect", exact=True).click()
    page.wait_for_url(f"{portal}/unauthorized")
    assert "pending" in page.locator("#status").inner_text().lower()
    _shot(page, "07-portal-unauthorized")

    # 4. approval with the printed command
    approve = _run(demo, demo.command("/developers/you@example.com").replace("you@example.com", EMAIL))
    assert approve.returncode == 0 and '"status":0' in approve.stdout.replace(" ", ""), approve.stdout

    # 5. login, an application and its key
    page.goto(f"{portal}/login")  # the session survived approval: the login page sends on to the account
    page.wait_for_url(f"{portal}/account")
    assert page.locator("#nav-account").inner_text() == EMAIL
    _shot(page, "08-portal-account")
    page.get_by_label("Name").fill("grace-app")
    page.get_by_role("button", name="Create application").click()
    page.wait_for_url(f"{portal}/account")
    key = page.locator("section.application code.api-key").first.inner_text()
    assert key
    _shot(page, "09-portal-application-key")

    # 6. the printed key-auth calls
    refused = _run(demo, _keyed(demo, with_key=False))
    assert refused.returncode == 0 and " 401 " in refused.stdout.splitlines()[0], refused.stdout
    keyed = _run(demo, _keyed(demo, with_key=True).replace("<your key>", key))
    assert keyed.returncode == 0 and " 200 " in keyed.stdout.splitlines()[0], keyed.stdout
    assert '"upstream": "echo-1"' in keyed.stdout

    # the proxy's and the portal's sessions live side by side on localhost (cookies ignore ports)
    page.goto(f"{proxy_url}/cognito/anything")
    assert _echo(page)["headers"]["x-email"] == EMAIL
    page.goto(f"{portal}/account")
    assert page.locator("#nav-account").inner_text() == EMAIL

    # 7. logout through the IdP, back on the portal, logged out everywhere
    page.goto(f"{portal}/account")
    page.locator("#nav-logout").click()
    page.wait_for_url(portal)
    assert page.locator("#nav-login").is_visible()
    _shot(page, "10-portal-logged-out")
    page.goto(f"{portal}/login")
    page.get_by_role("link", name="Log in with OpenID Connect", exact=True).click()
    page.wait_for_url("**/login?**")  # the IdP asks again: its session ended too
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(portal)  # an approved developer lands on login_redirect_uri
    assert page.locator("#nav-account").inner_text() == EMAIL


def _keyed(demo: RunningDemo, *, with_key: bool) -> str:
    lines = [line for line in demo.output.splitlines() if "/demo-keyed" in line and "curl" in line]
    chosen = [line for line in lines if ("apikey:" in line) == with_key]
    assert len(chosen) == 1, demo.output
    return chosen[0].split("   #", 1)[0].strip()
