"""The identity-provider half of `sekisho demo`: the seed page's Cognito setup on the local `sekisho idp`.

A user pool with email sign-in, a hosted domain, a public app client allowed the code flow with a callback on
the demo's proxy, and one user; then an `openid-connect` plugin on a `/cognito` route, configured like the
seed's Kong recipe. The IdP is a separate program: the demo starts it as a child process and talks HTTP.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = [
    "CLIENT_ID",
    "DEMO_PASSWORD",
    "DEMO_USER",
    "DOMAIN",
    "POOL_ID",
    "DemoIdp",
    "configure_portal_login",
    "configure_secure_route",
    "die_with_parent",
    "start_idp",
    "stop_idp",
]

DEMO_USER: Final = "demo@example.com"
DEMO_PASSWORD: Final = "Sekisho-Demo-1!"
POOL_ID: Final = "us-east-1_SeKiShoDm"
CLIENT_ID: Final = "5ekish0dem0c1ient000000001"
CLIENT_NAME: Final = "kong-api"
DOMAIN: Final = "sekisho-demo"
# Fixed ids make re-running the demo update the same plugin instead of adding another one.
PLUGIN_ID: Final = str(uuid.uuid5(uuid.NAMESPACE_URL, "sekisho-demo/openid-connect"))
START_TIMEOUT: Final = 60.0


@dataclass(slots=True)
class DemoIdp:
    process: asyncio.subprocess.Process
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base}/{POOL_ID}"


def _seed_document(ports: dict[str, int]) -> dict[str, Any]:
    # The seed's four callback URLs (GUI, Portal API, its /auth, the /cognito route) on this run's local ports.
    callbacks = [
        f"http://localhost:{ports['portal_gui']}/default",
        f"http://localhost:{ports['portal_api']}/default/",
        f"http://localhost:{ports['portal_api']}/default/auth",
        f"http://localhost:{ports['proxy']}/cognito/callback",
    ]
    return {
        "region": "us-east-1",
        "pools": [
            {
                "name": "sekisho-demo-pool",
                "id": POOL_ID,
                "settings": {
                    "UsernameAttributes": ["email"],
                    "AutoVerifiedAttributes": ["email"],
                    "Schema": [
                        {"Name": name, "AttributeDataType": "String", "Required": True, "Mutable": True}
                        for name in ("email", "given_name", "family_name")
                    ],
                },
                "domain": DOMAIN,
                "clients": [
                    {
                        "name": CLIENT_NAME,
                        "id": CLIENT_ID,
                        "settings": {
                            "AllowedOAuthFlows": ["code"],
                            "AllowedOAuthFlowsUserPoolClient": True,
                            "AllowedOAuthScopes": ["email", "openid", "aws.cognito.signin.user.admin", "profile"],
                            "ReadAttributes": ["email", "email_verified", "given_name", "family_name"],
                            "WriteAttributes": ["email", "given_name", "family_name"],
                            "CallbackURLs": callbacks,
                            "LogoutURLs": [f"http://localhost:{ports['portal_gui']}/default"],
                            "SupportedIdentityProviders": ["COGNITO"],
                        },
                    }
                ],
                "users": [
                    {
                        "username": DEMO_USER,
                        "password": DEMO_PASSWORD,
                        "attributes": {"given_name": "Demo", "family_name": "User"},
                    }
                ],
            }
        ],
    }


def die_with_parent() -> None:
    """In a demo child, before exec: get SIGTERM when the demo process dies, however it dies (Linux), so a
    killed demo never leaves a node or an IdP behind. Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)


async def _run(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sekisho", "idp", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    return int(process.returncode or 0), out.decode(errors="replace")


async def start_idp(prefix: Path, ports: dict[str, int]) -> DemoIdp:
    """Seed a fresh IdP data directory for this run's ports, then serve it. Raises RuntimeError on failure."""
    import httpx

    data_dir = prefix / "idp"
    await asyncio.to_thread(shutil.rmtree, data_dir, True)  # a fresh pool each run: callbacks follow the ports
    seed_file = prefix / "idp-seed.json"  # JSON is YAML: the seed reader takes it as is
    await asyncio.to_thread(seed_file.write_text, json.dumps(_seed_document(ports), indent=2))
    common = ["--port", str(ports["idp"]), "--https-port", "-1", "--data-dir", str(data_dir)]
    code, out = await _run(*common, "seed", str(seed_file))
    if code != 0:
        raise RuntimeError(f"seeding the identity provider failed: {out.strip()}")
    log_file = await asyncio.to_thread(open, prefix / "idp.log", "ab")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sekisho",
            "idp",
            *common,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    finally:
        log_file.close()
    idp = DemoIdp(process, ports["idp"])
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the identity provider exited with {process.returncode}; see {prefix / 'idp.log'}")
            try:
                if (await client.get(idp.issuer + "/.well-known/openid-configuration")).status_code == 200:
                    return idp
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the identity provider did not answer within {START_TIMEOUT:.0f} s")


async def configure_secure_route(admin: str, echo_url: str, idp: DemoIdp, proxy_port: int) -> None:
    """`/cognito` -> echo upstream, behind openid-connect (the seed's Kong recipe, on the local IdP)."""
    import httpx

    async with httpx.AsyncClient(base_url=admin, timeout=10) as client:
        steps: list[tuple[str, str, dict[str, Any]]] = [
            ("PUT", "/services/cognito", {"url": echo_url}),
            ("PUT", "/services/cognito/routes/cognito", {"paths": ["/cognito"]}),
            (
                "PUT",
                f"/plugins/{PLUGIN_ID}",
                {
                    "name": "openid-connect",
                    "route": {"name": "cognito"},
                    "config": {
                        "issuer": idp.issuer + "/.well-known/openid-configuration",
                        "client_id": [CLIENT_ID],
                        "redirect_uri": [f"http://localhost:{proxy_port}/cognito/callback"],
                        "auth_methods": ["authorization_code", "session", "bearer"],
                        "scopes": ["openid", "profile", "email"],
                        "upstream_headers_claims": ["email", "given_name", "family_name"],
                        "upstream_headers_names": ["X-Email", "X-Given-Name", "X-Family-Name"],
                    },
                },
            ),
        ]
        for method, path, body in steps:
            response = await client.request(method, path, json=body)
            if response.status_code >= 400:
                raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text}")


async def configure_portal_login(admin: str, idp: DemoIdp, ports: dict[str, int]) -> None:
    """The seed's "Dev Portal Integration": `portal_auth = openid-connect` with its `portal_auth_conf`."""
    import httpx

    from sekisho.portal.seed_conf import seed_portal_auth_conf

    auth_conf = seed_portal_auth_conf(
        issuer=idp.issuer,
        client_id=CLIENT_ID,
        idp_domain_url=f"{idp.base}/domains/{DOMAIN}",
        gui_url=f"http://localhost:{ports['portal_gui']}",
        api_url=f"http://localhost:{ports['portal_api']}",
    )
    body = {"config": {"portal_auth": "openid-connect", "portal_auth_conf": json.dumps(auth_conf)}}
    async with httpx.AsyncClient(base_url=admin, timeout=10) as client:
        response = await client.patch("/workspaces/default", json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"PATCH /workspaces/default answered {response.status_code}: {response.text}")


async def stop_idp(idp: DemoIdp | None) -> None:
    if idp is None or idp.process.returncode is not None:
        return
    idp.process.terminate()
    try:
        await asyncio.wait_for(idp.process.wait(), 10)
    except TimeoutError:
        idp.process.kill()
