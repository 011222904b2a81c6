"""The seed's portal story on a real node (`sekisho start`, portal = on, SQLite) and the local IdP, driven over
HTTP only: configure with the Admin API, sign in at the IdP, register, approve with one Admin call, log in,
create an application, call a key-auth route with its key, log out through the IdP."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.echo_upstream import EchoUpstream
from tests.integration.idp.harness import IdpThread
from tests.integration.node.node_process import Node, free_port, start_node
from tests.integration.portal.oidc_setup import add_user, create_seed_pool, seed_auth_conf, sign_in_at_hosted_ui

EMAIL = "ada@example.com"
HTML = {"Accept": "text/html"}


@pytest.fixture
def nodes() -> Iterator[list[Node]]:
    started: list[Node] = []
    yield started
    for node in started:
        node.stop(signal.SIGKILL)


async def test_seed_portal_on_a_node(tmp_path: Path, idp: IdpThread, cognito: Any, nodes: list[Node]) -> None:
    gui_port, api_port = free_port(), free_port()
    gui, api = f"http://localhost:{gui_port}", f"http://localhost:{api_port}"
    node = await start_node(
        tmp_path,
        portal="on",
        portal_gui_listen=f"127.0.0.1:{gui_port}",
        portal_api_listen=f"127.0.0.1:{api_port}",
        portal_gui_host=f"localhost:{gui_port}",
        portal_api_url=api,
    )
    nodes.append(node)
    pool = create_seed_pool(idp, cognito, callbacks=[f"{api}/default/auth"], logout_urls=[f"{gui}/default"])
    add_user(cognito, pool, EMAIL)
    async with EchoUpstream() as echo, httpx.AsyncClient(timeout=10) as admin, httpx.AsyncClient() as browser:
        conf = json.dumps(seed_auth_conf(pool, api=api, gui=gui), indent=4)
        patched = await admin.patch(
            f"{node.admin}/workspaces/default",
            json={"config": {"portal_auth": "openid-connect", "portal_auth_conf": conf}},
        )
        assert patched.status_code == 200, patched.text
        service = (await admin.post(f"{node.admin}/services", json={"url": f"http://127.0.0.1:{echo.port}"})).json()
        route = await admin.post(f"{node.admin}/services/{service['id']}/routes", json={"paths": ["/echo"]})
        await admin.post(f"{node.admin}/routes/{route.json()['id']}/plugins", json={"name": "key-auth"})

        start = await browser.get(f"{api}/default/auth", headers=HTML)
        assert start.status_code == 302, start.text
        callback = await sign_in_at_hosted_ui(browser, start.headers["location"], EMAIL)
        response = await browser.get(callback, headers=HTML)
        while not response.headers["location"].startswith(gui):
            response = await browser.get(response.url.join(response.headers["location"]), headers=HTML)
        assert response.headers["location"] == f"{gui}/default/register"
        register_page = await browser.get(f"{gui}/default/register")
        assert f'value="{EMAIL}"' in register_page.text
        signed_up = await browser.post(
            f"{gui}/default/register", data={"meta.full_name": "Ada Lovelace"}, headers={"Origin": gui}
        )
        assert "under review" in signed_up.text
        assert (await browser.get(f"{api}/default/auth", headers=HTML)).headers["location"] == (
            f"{gui}/default/unauthorized"
        )

        approved = await admin.patch(f"{node.admin}/developers/{EMAIL}", data={"status": "0"})
        assert approved.json()["developer"]["status"] == 0
        assert (await browser.get(f"{api}/default/auth", headers=HTML)).headers["location"] == f"{gui}/default"

        app = await browser.post(f"{api}/default/applications", json={"name": "demo-app"})
        assert app.status_code == 201, app.text
        key = app.json()["credentials"][0]["key"]
        async with httpx.AsyncClient(base_url=node.proxy) as proxy:
            assert (await proxy.get("/echo")).status_code == 401
            called = await proxy.get("/echo", headers={"apikey": key})
            assert called.status_code == 200, called.text

        logout = await browser.get(f"{api}/default/auth?logout=true", headers=HTML)
        assert logout.headers["location"].startswith(f"{pool.domain_url}/logout?")
        back = await browser.get(logout.headers["location"])
        assert back.headers["location"] == f"{gui}/default"
        assert (await browser.get(f"{api}/default/developer")).status_code == 401
