"""`sekisho demo`: a local node on SQLite with sample configuration and two built-in echo upstreams.

The demo starts two echo servers on 127.0.0.1, starts `sekisho start` as a child process with a prefix
of its own (`.demo/` by default), creates a service + route to the first echo server and an upstream with
both as targets through the Admin API, prints what to try, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Final

__all__ = ["echo_app", "run_demo"]

from sekisho.node.demo_idp import (
    DEMO_PASSWORD,
    DEMO_USER,
    DemoIdp,
    configure_portal_login,
    configure_secure_route,
    die_with_parent,
    start_idp,
    stop_idp,
)

KONG_PORTS: Final = {
    "proxy": 8000,
    "proxy_ssl": 8443,
    "admin": 8001,
    "admin_ssl": 8444,
    "portal_gui": 8003,
    "portal_api": 8004,
    "idp": 9229,
}
START_TIMEOUT: Final = 60.0
# A fixed id makes re-running the demo update the same key-auth plugin instead of adding another one.
KEYED_PLUGIN_ID: Final = str(uuid.uuid5(uuid.NAMESPACE_URL, "sekisho-demo/key-auth"))


def echo_app(name: str) -> Any:
    """An ASGI app answering every request with what it received, as JSON."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = {
            "upstream": name,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            "body": body.decode("utf-8", "replace"),
        }
        data = json.dumps(payload, indent=2).encode() + b"\n"
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    return app


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _ephemeral_floor() -> int:
    """The lowest port the kernel hands out for `bind(0)` and outgoing connections (Linux's default 32768)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free_port() -> int:
    """A free port below the ephemeral range: between choosing it and the node binding it, the echo upstreams'
    `bind(0)` or any outgoing connection could otherwise be handed the very same port."""
    floor = _ephemeral_floor()
    if floor > 12000:
        for _ in range(200):
            port = random.randrange(10000, floor)
            if _port_free(port) and _port_free(port, "0.0.0.0"):
                return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def choose_ports(say: Any, *, any_free: bool = False) -> dict[str, int]:
    """Kong's default ports when free; otherwise a free port, and say which default was taken."""
    ports: dict[str, int] = {}
    for name, default in KONG_PORTS.items():
        if any_free:
            ports[name] = _free_port()
        elif _port_free(default):
            ports[name] = default
        else:
            ports[name] = _free_port()
            say(f"[yellow]port {default} ({name}) is taken by another program; using {ports[name]} instead[/]")
    return ports


async def _start_echo(name: str) -> tuple[Any, asyncio.Task[None], int]:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    config = uvicorn.Config(echo_app(name), log_config=None, access_log=False, lifespan="off", loop="none")
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server._serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes no start event
        await asyncio.sleep(0.01)
    return server, task, int(sock.getsockname()[1])


async def _seed(admin: str, echo_ports: list[int]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=admin, timeout=10) as client:
        first = f"http://127.0.0.1:{echo_ports[0]}"
        steps = [
            ("PUT", "/services/demo", {"url": first}),
            ("PUT", "/services/demo/routes/demo", {"paths": ["/demo"]}),
            ("PUT", "/upstreams/demo-upstream", {}),
            ("PUT", "/services/demo-balanced", {"host": "demo-upstream", "port": 80, "protocol": "http"}),
            ("PUT", "/services/demo-balanced/routes/demo-balanced", {"paths": ["/balanced"]}),
            # A key-auth route for the keys developers create on the portal.
            ("PUT", "/services/demo-keyed", {"url": first}),
            ("PUT", "/services/demo-keyed/routes/demo-keyed", {"paths": ["/demo-keyed"]}),
            ("PUT", f"/plugins/{KEYED_PLUGIN_ID}", {"name": "key-auth", "route": {"name": "demo-keyed"}}),
        ]
        for method, path, body in steps:
            response = await client.request(method, path, json=body)
            if response.status_code >= 400:
                raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text}")
        existing = (await client.get("/upstreams/demo-upstream/targets")).json().get("data", [])
        have = {row.get("target") for row in existing}
        for port in echo_ports:
            target = f"127.0.0.1:{port}"
            if target not in have:
                response = await client.post("/upstreams/demo-upstream/targets", json={"target": target})
                if response.status_code >= 400:
                    raise RuntimeError(f"adding target {target} answered {response.status_code}: {response.text}")
        for row in existing:
            if row.get("target") not in {f"127.0.0.1:{p}" for p in echo_ports}:
                await client.delete(f"/upstreams/demo-upstream/targets/{row['id']}")


async def _wait_for_admin(admin: str, process: asyncio.subprocess.Process) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=1) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the node exited with status {process.returncode}; see its log above")
            try:
                if (await client.get(admin + "/status")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the Admin API at {admin} did not answer within {START_TIMEOUT:.0f} s")


def _idp_instructions(ports: dict[str, int], prefix: Path, idp: DemoIdp | None) -> str:
    """The person's path of the seed page, step by step, with this run's ports and paths."""
    if idp is None:
        return ""
    proxy = f"http://localhost:{ports['proxy']}"
    admin = f"http://127.0.0.1:{ports['admin']}"
    portal = f"http://localhost:{ports['portal_gui']}/default"
    outbox_cli = f"{_sekisho_command()} idp --data-dir {_shown(prefix / 'idp')} outbox --to you@example.com"
    return f"""
[bold]The Cognito walkthrough, on the local identity provider:[/]
  1. Sign up: open {proxy}/cognito/anything in a browser, choose "Sign up" on the hosted login page
     (email, given name, family name, a password such as Sekisho-Demo-1!), or sign in as the seeded
     user [bold]{DEMO_USER}[/] / [bold]{DEMO_PASSWORD}[/]. Below, put your email where you@example.com is.
  2. The verification code is in the IdP's outbox:
       {outbox_cli}
     or on the page {idp.base}/_outbox . Enter it; you land on the echo of /cognito/anything
     with X-Email, X-Given-Name, X-Family-Name and Authorization: Bearer … added by openid-connect.
       curl -i {proxy}/cognito/anything           [dim]# without a session: 302 to the hosted login page[/]
  3. Dev Portal: {portal}/login -> "Log in with OpenID Connect", the same email; you come back to the
     sign-up form with your email filled in. Sign up: you are pending ({portal}/unauthorized).
  4. Approve yourself (as the admin):
       curl -X PATCH {admin}/developers/you@example.com --data status=0
  5. Log in again: open {portal}/login (still signed in at the IdP, you go straight to your account
     page; after a logout, "Log in with OpenID Connect"). "Create application", copy its API key.
  6. Call the key-auth route with it:
       curl -i {proxy}/demo-keyed                 [dim]# 401 without a key[/]
       curl -i -H 'apikey: <your key>' {proxy}/demo-keyed
  7. "Log out" on the portal ends the portal and the IdP session and brings you back to {portal}
"""


def _shown(path: Path) -> str:
    """A path as a person types it: relative to the current directory when below it."""
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _sekisho_command() -> str:
    """How to run this sekisho from a shell: the script next to this interpreter when there is one."""
    script = Path(sys.executable).with_name("sekisho")
    return _shown(script) if script.exists() else f"{sys.executable} -m sekisho"


def _idp_line(idp: DemoIdp | None) -> str:
    return "" if idp is None else f"  IdP        {idp.base}   issuer {idp.issuer}\n"


def _instructions(ports: dict[str, int], prefix: Path, idp: DemoIdp | None = None) -> str:
    proxy = f"http://127.0.0.1:{ports['proxy']}"
    admin = f"http://127.0.0.1:{ports['admin']}"
    return f"""
[bold green]sekisho demo is running[/]   (prefix {prefix}, database sqlite)

  proxy      {proxy}   https://127.0.0.1:{ports["proxy_ssl"]} (self-signed)
  Admin API  {admin}   https://127.0.0.1:{ports["admin_ssl"]}
  Dev Portal http://localhost:{ports["portal_gui"]}/default   Portal API http://localhost:{ports["portal_api"]}
{_idp_line(idp)}
Try:
  curl -i '{proxy}/demo/hello?x=1'               [dim]# route /demo -> echo upstream[/]
  curl -s {proxy}/balanced | grep upstream       [dim]# round-robin over two targets[/]
  curl -s {admin}/services | python3 -m json.tool
  curl -s -X POST {admin}/services/demo/plugins -d name=key-auth
  curl -i {proxy}/demo                           [dim]# now 401 without an apikey[/]
{_idp_instructions(ports, prefix, idp)}
Press [bold]Ctrl-C[/] to stop.
"""


async def _demo(prefix: Path, workers: int, free_ports: bool, with_idp: bool) -> int:
    from rich.console import Console

    console = Console(soft_wrap=True)
    ports = choose_ports(console.print, any_free=free_ports)
    echoes: list[tuple[Any, asyncio.Task[None], int]] = []
    process: asyncio.subprocess.Process | None = None
    idp: DemoIdp | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        with console.status("starting the echo upstreams") as status:
            for name in ("echo-1", "echo-2"):
                echoes.append(await _start_echo(name))
            status.update("starting the sekisho node")
            env = dict(os.environ)
            env.update(
                {
                    "SEKISHO_DATABASE": "sqlite",
                    "SEKISHO_PROXY_LISTEN": f"0.0.0.0:{ports['proxy']}, 0.0.0.0:{ports['proxy_ssl']} ssl",
                    "SEKISHO_ADMIN_LISTEN": f"127.0.0.1:{ports['admin']}, 127.0.0.1:{ports['admin_ssl']} ssl",
                    "SEKISHO_NGINX_WORKER_PROCESSES": str(workers),
                    "SEKISHO_PROXY_ACCESS_LOG": "logs/access.log",
                    "SEKISHO_PROXY_ERROR_LOG": "/dev/stderr",
                    "SEKISHO_ADMIN_ERROR_LOG": "/dev/stderr",
                    "SEKISHO_PORTAL": "on",
                    "SEKISHO_PORTAL_GUI_LISTEN": f"0.0.0.0:{ports['portal_gui']}",
                    "SEKISHO_PORTAL_API_LISTEN": f"0.0.0.0:{ports['portal_api']}",
                    "SEKISHO_PORTAL_GUI_HOST": f"localhost:{ports['portal_gui']}",
                    "SEKISHO_PORTAL_API_URL": f"http://localhost:{ports['portal_api']}",
                    "SEKISHO_PORTAL_AUTO_APPROVE": "off",
                }
            )
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "sekisho",
                "start",
                "-p",
                str(prefix),
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
            admin = f"http://127.0.0.1:{ports['admin']}"
            waiter = asyncio.ensure_future(_wait_for_admin(admin, process))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set():
                waiter.cancel()
                return 130
            stopper.cancel()
            waiter.result()
            status.update("creating the sample service, route and upstream")
            await _seed(admin, [port for _, _, port in echoes])
            if with_idp:
                status.update("starting the identity provider and protecting /cognito with openid-connect")
                try:
                    idp = await start_idp(prefix, ports)
                    await configure_secure_route(admin, f"http://127.0.0.1:{echoes[0][2]}", idp, ports["proxy"])
                    await configure_portal_login(admin, idp, ports)
                except RuntimeError as exc:
                    console.print(f"[yellow]OpenID Connect part skipped:[/] {exc}")
        console.print(_instructions(ports, prefix, idp))
        ended = asyncio.ensure_future(process.wait())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({ended, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if ended.done():
            console.print(f"[red]the node exited with status {process.returncode}[/]")
            return 1
        return 0
    except RuntimeError as exc:
        console.print(f"[red]demo failed:[/] {exc}")
        return 1
    finally:
        if process is not None and process.returncode is None:
            console.print("stopping the node ...")
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
        await stop_idp(idp)
        for server, task, _ in echoes:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)
        console.print("demo stopped")


def run_demo(prefix: Path, *, workers: int = 1, free_ports: bool = False, with_idp: bool = True) -> int:
    import uvloop

    prefix = prefix.resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    return int(uvloop.run(_demo(prefix, workers, free_ports, with_idp)))
