"""An application's API key (issued by the portal) opens a `key-auth` route on a real proxy; rotating or
deleting it closes the door again."""

from __future__ import annotations

from pathlib import Path

import httpx

from sekisho.plugins.registry import PluginRegistry
from sekisho.portal import applications as apps
from sekisho.portal.developers import create_developer, update_developer
from sekisho.proxy import ListenSpec, ProxyServer, ProxySettings
from sekisho.runtime import Runtime
from tests.helpers.echo_upstream import EchoUpstream
from tests.integration.portal.harness import PLUGINS, open_portal_db


async def test_application_key_works_on_key_auth_route(tmp_path: Path) -> None:
    db, _ = await open_portal_db(tmp_path)
    runtime = Runtime(PluginRegistry.load(PLUGINS), db=db)
    db.subscribe(runtime.on_change)
    async with EchoUpstream() as echo:
        service = await db.insert("services", {"url": f"http://127.0.0.1:{echo.port}"})
        route = await db.insert("routes", {"paths": ["/weather"], "service": {"id": service["id"]}})
        await db.insert("plugins", {"name": "key-auth", "route": {"id": route["id"]}})
        developer = await create_developer(db, {"email": "dev@example.com", "status": 0})
        app, first = await apps.create_application(db, developer, {"name": "forecast"})
        await runtime.reload()
        server = ProxyServer(runtime, ProxySettings(), listens=[ListenSpec("127.0.0.1", 0)])
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port(ssl=False)}") as proxy:
                assert (await proxy.get("/weather")).status_code == 401
                ok = await proxy.get("/weather", headers={"apikey": first["key"]})
                assert ok.status_code == 200
                assert ok.json()["headers"]["x-consumer-username"] == f"{developer['id']}_forecast"

                rotated = await apps.rotate_key(db, app, first["id"])
                assert rotated is not None
                assert (await proxy.get("/weather", headers={"apikey": first["key"]})).status_code == 401
                assert (await proxy.get("/weather", headers={"apikey": rotated["key"]})).status_code == 200

                # revoking the developer closes its applications' keys at once
                await update_developer(db, developer, {"status": 3})
                assert (await proxy.get("/weather", headers={"apikey": rotated["key"]})).status_code == 401
                assert await apps.application_keys(db, app) == []
                await update_developer(db, {**developer, "status": 3}, {"status": 0})
                reissued = await apps.issue_key(db, app)
                assert (await proxy.get("/weather", headers={"apikey": reissued["key"]})).status_code == 200

                await apps.delete_application(db, app)
                assert (await proxy.get("/weather", headers={"apikey": reissued["key"]})).status_code == 401
        finally:
            await server.stop(grace=0.5)
            runtime.close()
            await db.close()
