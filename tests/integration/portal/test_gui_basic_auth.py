"""The Portal GUI and API with `portal_auth = basic-auth`: pages, sign-up, approval, login, applications."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from sekisho.portal import PortalContext, PortalSettings, build_portal, prepare_portal
from sekisho.portal.developers import find_developer, update_developer
from sekisho.store.base import Database
from tests.helpers.asgi_server import serve_asgi
from tests.integration.portal.harness import open_portal_db


@dataclass
class Running:
    db: Database
    gui: httpx.AsyncClient
    api: httpx.AsyncClient
    gui_url: str


@asynccontextmanager
async def running_portal(tmp_path: Path, auth: str | None = "basic-auth") -> AsyncIterator[Running]:
    db, plugins = await open_portal_db(tmp_path)
    settings = PortalSettings(auth=auth)
    ctx = PortalContext(db=db, plugins=plugins, settings=settings, cluster_secret=secrets.token_bytes(32))
    await prepare_portal(ctx)
    apps = build_portal(ctx)
    gui_app, api_app = apps
    try:
        async with (
            serve_asgi(gui_app) as gui_url,
            serve_asgi(api_app) as api_url,
            httpx.AsyncClient(base_url=gui_url, headers={"Origin": gui_url}) as gui,
            httpx.AsyncClient(base_url=api_url) as api,
        ):
            yield Running(db, gui, api, gui_url)
    finally:
        await apps.close()
        await db.close()


async def test_public_pages_and_spec_renderer(tmp_path: Path) -> None:
    async with running_portal(tmp_path) as p:
        root = await p.gui.get("/")
        assert root.status_code == 302
        assert root.headers["location"] == "/default"
        home = await p.gui.get("/default")
        assert home.status_code == 200
        assert "Echo API" in home.text
        assert 'href="/default/login"' in home.text
        catalog = await p.gui.get("/default/documentation")
        assert 'href="/default/documentation/echo"' in catalog.text
        spec_page = await p.gui.get("/default/documentation/echo")
        assert spec_page.status_code == 200
        assert "/default/assets/swagger-ui/swagger-ui-bundle.js" in spec_page.text
        bundle = await p.gui.get("/default/assets/swagger-ui/swagger-ui-bundle.js")
        assert bundle.status_code == 200
        assert "SwaggerUIBundle" in bundle.text
        spec = (await p.gui.get("/default/documentation/echo/spec.json")).json()
        assert spec["info"]["title"] == "Echo API"
        missing = await p.gui.get("/default/documentation/nope")
        assert missing.status_code == 404
        assert "Page not found" in missing.text
        nowhere = await p.gui.get("/default/no/such/page")
        assert nowhere.status_code == 404
        assert "Page not found" in nowhere.text
        assert (await p.gui.get("/otherws")).status_code == 404
        assert (await p.gui.get("/default/account", follow_redirects=False)).headers["location"] == "/default/login"
        files = (await p.api.get("/default/files")).json()["data"]
        assert "specs/echo.yaml" in [f["path"] for f in files]


async def test_sign_up_approve_login_and_keys(tmp_path: Path) -> None:
    async with running_portal(tmp_path) as p:
        form = {"email": "Grace@Example.com", "meta.full_name": "Grace Hopper", "password": "cobol-1959"}
        missing_name = await p.gui.post("/default/register", data={**form, "meta.full_name": ""})
        assert missing_name.status_code == 400
        assert "meta.full_name: required field missing" in missing_name.text
        assert "cobol-1959" not in missing_name.text
        signed_up = await p.gui.post("/default/register", data=form)
        assert signed_up.status_code == 200
        assert "under review" in signed_up.text
        again = await p.gui.post("/default/register", data=form)
        assert again.status_code == 400
        assert "already exists" in again.text

        # pending: the Portal API refuses with Kong's message, the GUI shows the unauthorized page
        pending = await p.api.get("/default/auth", auth=("grace@example.com", "cobol-1959"))
        assert pending.status_code == 401
        assert pending.json() == {"message": "Unauthorized: Developer status: PENDING"}
        login = await p.gui.post("/default/login", data={"email": "grace@example.com", "password": "cobol-1959"})
        assert login.status_code == 403
        assert "pending" in login.text

        developer = await find_developer(p.db, "grace@example.com")
        assert developer is not None
        await update_developer(p.db, developer, {"status": 0})

        wrong = await p.gui.post("/default/login", data={"email": "grace@example.com", "password": "nope"})
        assert wrong.status_code == 401
        assert "Invalid credentials" in wrong.text
        ok = await p.gui.post("/default/login", data={"email": "grace@example.com", "password": "cobol-1959"})
        assert ok.status_code == 303
        assert ok.headers["location"] == "/default/account"
        assert "portal_session" in p.gui.cookies

        account = await p.gui.get("/default/account")
        assert account.status_code == 200
        assert "grace@example.com" in account.text
        created = await p.gui.post("/default/account/applications", data={"name": "billing"})
        assert created.status_code == 303
        page = (await p.gui.get("/default/account")).text
        assert 'data-name="billing"' in page
        # the GUI's session cookie works on the Portal API too (cookies are per host, not per port)
        p.api.cookies.set("portal_session", p.gui.cookies["portal_session"])
        assert (await p.api.get("/default/developer")).status_code == 200
        app = (await p.api.get("/default/applications")).json()["data"][0]
        keys = (await p.api.get(f"/default/applications/{app['id']}/credentials")).json()["data"]
        assert keys[0]["key"] in page
        rotated = await p.gui.post(f"/default/account/applications/{app['id']}/keys/{keys[0]['id']}/rotate")
        assert rotated.status_code == 303
        page = (await p.gui.get("/default/account")).text
        assert keys[0]["key"] not in page

        # a cross-site form post is refused
        forged = await p.gui.post(
            "/default/account/applications", data={"name": "evil"}, headers={"Origin": "http://evil.example"}
        )
        assert forged.status_code == 403
        deleted = await p.gui.post(f"/default/account/applications/{app['id']}/delete")
        assert deleted.status_code == 303
        assert 'id="no-apps"' in (await p.gui.get("/default/account")).text

        out = await p.gui.get("/default/logout")
        assert out.status_code == 303
        assert (await p.gui.get("/default/account")).status_code == 303


async def test_api_login_with_basic_auth_and_session_logout(tmp_path: Path) -> None:
    async with running_portal(tmp_path) as p:
        created = await p.api.post(
            "/default/register",
            json={"email": "ken@example.com", "meta": {"full_name": "Ken"}, "password": "unix-1969"},
        )
        assert created.status_code == 200
        developer = await find_developer(p.db, "ken@example.com")
        assert developer is not None
        await update_developer(p.db, developer, {"status": 0})
        login = await p.api.get("/default/auth", auth=("ken@example.com", "unix-1969"))
        assert login.status_code == 200
        assert login.json()["developer"]["email"] == "ken@example.com"
        assert (await p.api.get("/default/developer")).status_code == 200
        logout = await p.api.delete("/default/auth", params={"session_logout": "true"})
        assert logout.status_code == 204
        assert (await p.api.get("/default/developer")).status_code == 401
        no_password = await p.api.post("/default/register", json={"email": "x@example.com", "meta": {"full_name": "X"}})
        assert no_password.status_code == 400
        assert no_password.json()["fields"] == {"password": "required field missing"}


async def test_key_auth_portal(tmp_path: Path) -> None:
    async with running_portal(tmp_path, auth="key-auth") as p:
        body = {"email": "kay@example.com", "meta": {"full_name": "Kay"}, "key": "kay-secret-key-0001"}
        assert (await p.api.post("/default/register", json=body)).status_code == 200
        developer = await find_developer(p.db, "kay@example.com")
        assert developer is not None
        await update_developer(p.db, developer, {"status": 0})
        assert (await p.api.get("/default/auth", headers={"apikey": "wrong"})).status_code == 401
        login = await p.api.get("/default/auth", headers={"apikey": "kay-secret-key-0001"})
        assert login.status_code == 200
        assert (await p.api.get("/default/developer")).json()["email"] == "kay@example.com"
        gui_login = await p.gui.post("/default/login", data={"email": "kay@example.com", "key": "kay-secret-key-0001"})
        assert gui_login.status_code == 303
        await update_developer(p.db, developer, {"status": 3})
        revoked = await p.api.get("/default/developer")
        assert revoked.status_code == 401
        assert revoked.json() == {"message": "Unauthorized: Developer status: REVOKED"}


async def test_portal_api_limits_and_cors(tmp_path: Path) -> None:
    async with running_portal(tmp_path) as p:
        huge = await p.api.post("/default/auth", content=b"x" * (65 * 1024))
        assert huge.status_code == 413
        gui_origin = "http://127.0.0.1:8003"  # PortalSettings' default portal_gui_host
        preflight = await p.api.options(
            "/default/developer", headers={"Origin": gui_origin, "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == gui_origin
        assert preflight.headers["access-control-allow-credentials"] == "true"
        foreign = await p.api.options(
            "/default/developer", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in foreign.headers
        assert (await p.api.get("/nowhere/files")).status_code == 404


async def test_developer_edits_meta_and_closes_account(tmp_path: Path) -> None:
    async with running_portal(tmp_path) as p:
        body = {"email": "mel@example.com", "meta": {"full_name": "Mel"}, "password": "pass-word-1"}
        assert (await p.api.post("/default/register", json=body)).status_code == 200
        developer = await find_developer(p.db, "mel@example.com")
        assert developer is not None
        await update_developer(p.db, developer, {"status": 0})
        assert (await p.api.get("/default/auth", auth=("mel@example.com", "pass-word-1"))).status_code == 200
        edited = await p.api.patch("/default/developer/meta", json={"meta": {"full_name": "Mel Conway"}})
        assert edited.status_code == 200
        assert edited.json()["developer"]["meta"] == '{"full_name":"Mel Conway"}'
        bad = await p.api.patch("/default/developer/meta", json={"meta": {"full_name": ""}})
        assert bad.status_code == 400
        assert bad.json()["fields"] == {"meta": {"full_name": "required field missing"}}
        assert (await p.api.post("/default/applications", json={"name": "x"})).status_code == 201
        assert (await p.api.delete("/default/developer")).status_code == 204
        assert await find_developer(p.db, "mel@example.com") is None
        assert await p.db.count("applications") == 0
        assert await p.db.select_by("consumers", "username", "mel@example.com") is None
        assert (await p.api.get("/default/developer")).status_code == 401


async def test_content_pages(tmp_path: Path) -> None:
    async with running_portal(tmp_path) as p:
        await p.db.insert(
            "files",
            {"path": "content/about.txt", "contents": "---\ntitle: About us\n---\nWe build <APIs>.\n\nSecond one."},
        )
        await p.db.insert(
            "files", {"path": "content/guides/index.txt", "contents": "---\ntitle: Guides\nreadable_by: '*'\n---\nHi"}
        )
        await p.db.insert("files", {"path": "content/hidden.txt", "contents": "---\noutput: false\n---\nx"})
        about = await p.gui.get("/default/about")
        assert about.status_code == 200
        assert '<h1 id="page-title">About us</h1>' in about.text
        assert "We build &lt;APIs&gt;." in about.text
        assert "<p>Second one.</p>" in about.text
        guarded = await p.gui.get("/default/guides")
        assert guarded.status_code == 303
        assert guarded.headers["location"] == "/default/login"
        assert (await p.gui.get("/default/hidden")).status_code == 404
        assert (await p.gui.get("/default/../etc")).status_code == 404


async def test_readable_by_roles(tmp_path: Path) -> None:
    async with running_portal(tmp_path) as p:
        await p.db.insert("developer_roles", {"name": "partners"})
        spec = "openapi: 3.0.0\ninfo: {title: Partner API, version: '1'}\nx-headmatter: {readable_by: [partners]}\n"
        await p.db.insert("files", {"path": "specs/partner.yaml", "contents": spec + "paths: {}\n"})
        await p.db.insert("files", {"path": "content/deals.txt", "contents": "---\nreadable_by: [partners]\n---\nhi"})
        for email, roles in (("in@example.com", ["partners"]), ("out@example.com", [])):
            body = {"email": email, "meta": {"full_name": "X"}, "password": "pass-word-1"}
            assert (await p.api.post("/default/register", json=body)).status_code == 200
            developer = await find_developer(p.db, email)
            assert developer is not None
            await update_developer(p.db, developer, {"status": 0, "roles": roles})

        assert "Partner API" not in (await p.gui.get("/default/documentation")).text
        assert (await p.gui.get("/default/documentation/partner")).headers["location"] == "/default/login"
        assert (await p.api.get("/default/files/specs/partner.yaml")).status_code == 401
        public = [f["path"] for f in (await p.api.get("/default/files")).json()["data"]]
        assert "specs/echo.yaml" in public
        assert "specs/partner.yaml" not in public

        await p.gui.post("/default/login", data={"email": "out@example.com", "password": "pass-word-1"})
        assert "Partner API" not in (await p.gui.get("/default/documentation")).text
        assert (await p.gui.get("/default/deals")).headers["location"] == "/default/unauthorized"
        p.gui.cookies.clear()
        await p.gui.post("/default/login", data={"email": "in@example.com", "password": "pass-word-1"})
        assert "Partner API" in (await p.gui.get("/default/documentation")).text
        assert (await p.gui.get("/default/documentation/partner")).status_code == 200
        assert (await p.gui.get("/default/deals")).status_code == 200
        p.api.cookies.set("portal_session", p.gui.cookies["portal_session"])
        assert (await p.api.get("/default/files/specs/partner.yaml")).status_code == 200
