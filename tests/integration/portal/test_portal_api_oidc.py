"""Portal API with `portal_auth = openid-connect` and the seed's `portal_auth_conf`, against the local IdP:
unknown developer -> register, pending -> forbidden_redirect_uri, approved -> login_redirect_uri,
applications and keys, `?logout=true` -> Cognito-style logout -> back to the portal."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from sekisho.portal import PortalContext, PortalSettings
from sekisho.portal.api_app import build_api_app
from sekisho.portal.auth import PortalAuth
from sekisho.portal.developers import create_developer, find_developer, update_developer
from sekisho.portal.files import seed_files
from sekisho.portal.workspaces import ensure_default_workspace
from tests.helpers.asgi_server import serve_asgi
from tests.integration.idp.flows import PASSWORD
from tests.integration.idp.harness import IdpThread
from tests.integration.portal.harness import open_portal_db
from tests.integration.portal.oidc_setup import add_user, create_seed_pool, seed_auth_conf_text, sign_in_at_hosted_ui

GUI = "http://localhost:8003"
EMAIL = "ada@example.com"


async def test_oidc_login_register_approve_apps_logout(tmp_path: Path, idp: IdpThread, cognito: Any) -> None:
    db, plugins = await open_portal_db(tmp_path)
    settings = PortalSettings(gui_host="localhost:8003")
    ctx = PortalContext(db=db, plugins=plugins, settings=settings, cluster_secret=secrets.token_bytes(32))
    workspace = await ensure_default_workspace(db, settings)
    await seed_files(db)
    auth = PortalAuth(ctx)
    try:
        async with serve_asgi(build_api_app(ctx, auth)) as api, httpx.AsyncClient() as browser:
            pool = create_seed_pool(idp, cognito, callbacks=[f"{api}/default/auth"], logout_urls=[f"{GUI}/default"])
            add_user(cognito, pool, EMAIL)
            conf = seed_auth_conf_text(pool, api=api, gui=GUI)
            await db.update(
                "workspaces", workspace["id"], {"config": {"portal_auth": "openid-connect", "portal_auth_conf": conf}}
            )
            html = {"Accept": "text/html"}

            # not logged in: the Portal API refuses, the login starts the code flow at the IdP
            assert (await browser.get(f"{api}/default/developer")).status_code == 401
            start = await browser.get(f"{api}/default/auth", headers=html)
            assert start.status_code == 302
            authorize = start.headers["location"]
            assert authorize.startswith(f"{pool.domain_url}/oauth2/authorize?")
            params = parse_qs(urlsplit(authorize).query)
            assert params["redirect_uri"] == [f"{api}/default/auth"]
            assert params["scope"] == ["openid profile email"]
            assert params["code_challenge_method"] == ["S256"]

            callback = await sign_in_at_hosted_ui(browser, authorize, EMAIL)
            assert callback.startswith(f"{api}/default/auth?code=")
            redeemed = await browser.get(callback, headers=html)
            assert redeemed.status_code == 302
            assert "session" in redeemed.cookies or any(c.name == "session" for c in browser.cookies.jar)

            # unknown developer: to the registration page
            location = await _follow_to_portal(browser, redeemed, html)
            assert location == f"{GUI}/default/register"

            registered = await browser.post(
                f"{api}/default/register", json={"email": EMAIL, "meta": {"full_name": "Ada Lovelace"}}
            )
            assert registered.status_code == 200, registered.text
            assert registered.json()["developer"]["status"] == 1
            status_sent = await browser.post(f"{api}/default/register", json={"email": "x@example.com", "status": 0})
            assert status_sent.status_code == 400
            assert status_sent.json()["fields"] == {"status": "invalid field"}

            # pending: forbidden_redirect_uri, and the API says why
            pending = await browser.get(f"{api}/default/auth", headers=html)
            assert pending.headers["location"] == f"{GUI}/default/unauthorized"
            me = await browser.get(f"{api}/default/developer")
            assert me.status_code == 401
            assert me.json() == {"message": "Unauthorized: Developer status: PENDING"}

            developer = await find_developer(db, EMAIL)
            assert developer is not None
            await update_developer(db, developer, {"status": 0})

            approved = await browser.get(f"{api}/default/auth", headers=html)
            assert approved.status_code == 302
            assert approved.headers["location"] == f"{GUI}/default"
            me = await browser.get(f"{api}/default/developer")
            assert me.status_code == 200
            assert me.json()["email"] == EMAIL

            # applications and their keys
            created = await browser.post(f"{api}/default/applications", json={"name": "weather"})
            assert created.status_code == 201, created.text
            app = created.json()
            first_key = app["credentials"][0]
            assert len(first_key["key"]) == 32
            listed = (await browser.get(f"{api}/default/applications")).json()["data"]
            assert [a["name"] for a in listed] == ["weather"]
            duplicate = await browser.post(f"{api}/default/applications", json={"name": "weather"})
            assert duplicate.status_code == 409
            rotated = await browser.post(f"{api}/default/applications/{app['id']}/credentials/{first_key['id']}/rotate")
            assert rotated.status_code == 201
            keys = (await browser.get(f"{api}/default/applications/{app['id']}/credentials")).json()["data"]
            assert [k["key"] for k in keys] == [rotated.json()["key"]]
            consumer = await db.select("consumers", app["consumer"]["id"])
            assert consumer is not None
            assert consumer["type"] == 3

            # logout: session gone, off to the IdP's logout with the portal as logout_uri
            logout = await browser.get(f"{api}/default/auth?logout=true", headers=html)
            assert logout.status_code == 302
            query = urlencode({"client_id": pool.client_id, "logout_uri": f"{GUI}/default"})
            assert logout.headers["location"] == f"{pool.domain_url}/logout?{query}"
            back = await browser.get(logout.headers["location"])
            assert back.status_code == 302
            assert back.headers["location"] == f"{GUI}/default"
            assert (await browser.get(f"{api}/default/developer")).status_code == 401
            assert (await browser.get(f"{api}/default/applications")).status_code == 401
    finally:
        await auth.close()
        await db.close()


async def _follow_to_portal(browser: httpx.AsyncClient, response: httpx.Response, headers: dict[str, str]) -> str:
    """Follow redirects on the Portal API until one leaves it (to the GUI)."""
    for _ in range(5):
        location = response.headers["location"]
        if location.startswith(GUI):
            return str(location)
        response = await browser.get(response.url.join(location), headers=headers)
        assert response.status_code == 302, response.text
    raise AssertionError("too many redirects")


async def test_sign_up_provisions_the_idp_user(tmp_path: Path, idp: IdpThread, cognito: Any) -> None:
    """`portal_idp_provisioning`: one sign-up on the portal also creates the user in the user pool."""
    db, plugins = await open_portal_db(tmp_path)
    settings = PortalSettings(gui_host="localhost:8003")
    ctx = PortalContext(db=db, plugins=plugins, settings=settings, cluster_secret=secrets.token_bytes(32))
    workspace = await ensure_default_workspace(db, settings)
    auth = PortalAuth(ctx)
    try:
        async with serve_asgi(build_api_app(ctx, auth)) as api, httpx.AsyncClient() as client:
            pool = create_seed_pool(idp, cognito, callbacks=[f"{api}/default/auth"], logout_urls=[f"{GUI}/default"])
            provisioning = json.dumps({"endpoint": idp.url, "client_id": pool.client_id})
            config = {
                "portal_auth": "openid-connect",
                "portal_auth_conf": seed_auth_conf_text(pool, api=api, gui=GUI),
                "portal_idp_provisioning": provisioning,
                "portal_auto_approve": True,
            }
            await db.update("workspaces", workspace["id"], {"config": config})
            body = {"email": "Lin@Example.com", "meta": {"full_name": "Lin Clark"}, "password": "weak"}
            weak = await client.post(f"{api}/default/register", json=body)
            assert weak.status_code == 400
            assert "password" in weak.json()["fields"]
            assert await find_developer(db, "lin@example.com") is None

            body["password"] = PASSWORD
            created = await client.post(f"{api}/default/register", json=body)
            assert created.status_code == 200, created.text
            assert created.json()["developer"]["status"] == 0
            user = cognito.admin_get_user(UserPoolId=pool.pool_id, Username="lin@example.com")
            attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
            assert attributes["given_name"] == "Lin"
            assert attributes["family_name"] == "Clark"
            assert user["UserStatus"] == "UNCONFIRMED"

            again = await client.post(f"{api}/default/register", json=body)
            assert again.status_code == 409
    finally:
        await auth.close()
        await db.close()


async def test_email_claim_matches_developers_regardless_of_case(tmp_path: Path, idp: IdpThread, cognito: Any) -> None:
    db, plugins = await open_portal_db(tmp_path)
    settings = PortalSettings(gui_host="localhost:8003")
    ctx = PortalContext(db=db, plugins=plugins, settings=settings, cluster_secret=secrets.token_bytes(32))
    workspace = await ensure_default_workspace(db, settings)
    auth = PortalAuth(ctx)
    try:
        async with serve_asgi(build_api_app(ctx, auth)) as api, httpx.AsyncClient() as browser:
            pool = create_seed_pool(idp, cognito, callbacks=[f"{api}/default/auth"], logout_urls=[f"{GUI}/default"])
            add_user(cognito, pool, "Grace.Hopper@Example.com")
            conf = seed_auth_conf_text(pool, api=api, gui=GUI)
            await db.update(
                "workspaces", workspace["id"], {"config": {"portal_auth": "openid-connect", "portal_auth_conf": conf}}
            )
            developer = await create_developer(db, {"email": "GRACE.hopper@example.com", "status": 0})
            assert developer["email"] == "grace.hopper@example.com"
            html = {"Accept": "text/html"}
            start = await browser.get(f"{api}/default/auth", headers=html)
            callback = await sign_in_at_hosted_ui(browser, start.headers["location"], "Grace.Hopper@Example.com")
            location = await _follow_to_portal(browser, await browser.get(callback, headers=html), html)
            assert location == f"{GUI}/default"
            assert (await browser.get(f"{api}/default/developer")).json()["id"] == developer["id"]
    finally:
        await auth.close()
        await db.close()
