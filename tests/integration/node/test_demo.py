"""`sekisho demo`: echo upstreams, a node, sample configuration, the local IdP behind openid-connect,
instructions, and a clean Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from sekisho.node.demo_idp import DEMO_PASSWORD, DEMO_USER


async def _sign_in_through_the_hosted_ui(proxy: str) -> httpx.Response:
    """Browser steps with httpx: protected page -> authorize -> login form -> callback -> original page."""
    async with httpx.AsyncClient(timeout=15) as client:
        response = await client.get(proxy + "/cognito/hello")
        assert response.status_code == 302, response.text
        response = await client.get(response.headers["location"])  # the IdP's authorize endpoint
        assert response.status_code == 302, response.text
        login_url = str(response.url.join(response.headers["location"]))
        page = await client.get(login_url)
        assert page.status_code == 200
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        response = await client.post(
            login_url, data={"_csrf": csrf.group(1), "username": DEMO_USER, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, response.text
        callback = response.headers["location"]
        assert callback.startswith(proxy + "/cognito/callback?code=")
        response = await client.get(callback)
        while response.status_code == 302:
            response = await client.get(str(response.url.join(response.headers["location"])))
        return response


async def _portal_login_lands_on(gui: str, api: str) -> str:
    """The portal's "Log in with OpenID Connect": Portal API /auth -> hosted UI -> back; the final page's URL."""
    async with httpx.AsyncClient(timeout=15) as client:
        assert (await client.get(f"{gui}/default")).status_code == 200
        response = await client.get(f"{api}/default/auth")
        assert response.status_code == 302, response.text
        response = await client.get(response.headers["location"])
        login_url = str(response.url.join(response.headers["location"]))
        page = await client.get(login_url)
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        response = await client.post(
            login_url, data={"_csrf": csrf.group(1), "username": DEMO_USER, "password": DEMO_PASSWORD}
        )
        assert response.headers["location"].startswith(f"{api}/default/auth?code=")
        for _ in range(5):
            if response.status_code != 302:
                break
            response = await client.get(str(response.url.join(response.headers["location"])))
        assert response.status_code == 200, response.text
        return str(response.url)


async def _start_demo(directory: str, *options: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sekisho",
        "demo",
        "--dir",
        directory,
        "--free-ports",
        *options,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def _output_until_ready(process: asyncio.subprocess.Process, seconds: float) -> str:
    """What the demo printed up to "Press Ctrl-C to stop." (all of it, when it ended before that)."""
    assert process.stdout is not None
    output = ""
    try:
        async with asyncio.timeout(seconds):
            while "Press Ctrl-C to stop." not in output:
                line = await process.stdout.readline()
                if not line:
                    break
                output += line.decode()
    except TimeoutError:
        raise AssertionError(f"the demo was not ready within {seconds} s:\n{output}") from None
    return output


async def test_demo_serves_sample_routes_oidc_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process = await _start_demo(str(tmp_path / "demo"))
    output = ""
    try:
        output = await _output_until_ready(process, 120)
        assert "sekisho demo is running" in output, output
        assert "OpenID Connect part skipped" not in output, output
        proxy = re.search(r"proxy\s+(http://127\.0\.0\.1:\d+)", output)
        admin = re.search(r"Admin API\s+(http://127\.0\.0\.1:\d+)", output)
        browser = re.search(r"open (http://localhost:\d+)/cognito", output)
        assert proxy and admin and browser, output
        async with httpx.AsyncClient() as client:
            echoed = await client.get(proxy.group(1) + "/demo/hello?x=1")
            assert echoed.status_code == 200
            assert echoed.json()["path"] == "/hello"
            upstreams = {(await client.get(proxy.group(1) + "/balanced")).json()["upstream"] for _ in range(6)}
            assert upstreams == {"echo-1", "echo-2"}
            services = (await client.get(admin.group(1) + "/services")).json()["data"]
            assert {s["name"] for s in services} == {"demo", "demo-balanced", "demo-keyed", "cognito"}
            assert (await client.get(proxy.group(1) + "/demo-keyed")).status_code == 401
            anonymous = await client.get(browser.group(1) + "/cognito")
            assert anonymous.status_code == 302
        signed_in = await _sign_in_through_the_hosted_ui(browser.group(1))
        assert signed_in.status_code == 200, signed_in.text
        echoed_headers = signed_in.json()["headers"]
        assert echoed_headers["x-email"] == DEMO_USER
        assert echoed_headers["authorization"].startswith("Bearer ")
        portal_gui = re.search(r"Dev Portal (http://localhost:\d+)/default", output)
        portal_api = re.search(r"portal_api listening on http://127\.0\.0\.1:(\d+)", output)
        assert portal_gui and portal_api, output
        landing = await _portal_login_lands_on(portal_gui.group(1), f"http://localhost:{portal_api.group(1)}")
        # An unknown developer comes back from the hosted UI to the sign-up form (the seed's first login).
        assert landing == f"{portal_gui.group(1)}/default/register"
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), 60)
        output += rest.decode()
        assert process.returncode == 0, output
        assert "demo stopped" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        (tmp_path / "demo.out").write_text(output)


async def test_demo_without_the_identity_provider(tmp_path: Path) -> None:
    process = await _start_demo(str(tmp_path / "d"), "--no-idp")
    try:
        output = await _output_until_ready(process, 90)
        assert "sekisho demo is running" in output and "OpenID Connect" not in output, output
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _pids_with(marker: str) -> list[int]:
    """Processes whose command line mentions `marker` (a path unique to this test)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def test_a_killed_demo_leaves_no_node_or_idp_behind(tmp_path: Path) -> None:
    demo_dir = str(tmp_path / "killed")
    process = await _start_demo(demo_dir)
    try:
        output = await _output_until_ready(process, 120)
        children = [pid for pid in _pids_with(demo_dir) if pid != process.pid]
        assert len(children) >= 2, output  # the node and the identity provider
        process.kill()
        await process.wait()
        for _ in range(300):
            if not _pids_with(demo_dir):
                break
            await asyncio.sleep(0.1)
        assert _pids_with(demo_dir) == []
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
