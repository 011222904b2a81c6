"""`serve_portal` on bound sockets, plain and TLS (the seed's 8446/8447 setup), with settings from a NodeConfig."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

import httpx
import pytest

from sekisho.config import load_config
from sekisho.entities import EntityRegistry
from sekisho.errors import ConfigError
from sekisho.plugins.registry import PluginRegistry
from sekisho.portal import PORTAL_ENTITIES, PortalContext, PortalSettings, build_portal, prepare_portal
from sekisho.portal.serving import portal_context, serve_portal
from sekisho.store.factory import open_database
from tests.helpers.certs import self_signed
from tests.integration.portal.harness import open_portal_db


def _bound() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


async def test_serve_portal_plain_and_tls(tmp_path: Path) -> None:
    config = load_config(
        env={
            "KONG_PORTAL": "on",
            "KONG_PORTAL_GUI_PROTOCOL": "https",
            "KONG_PORTAL_GUI_HOST": "kong-ee:8446",
            "KONG_PREFIX": str(tmp_path / "prefix"),
        },
        search_default_paths=False,
    )
    db, plugins = await open_portal_db(tmp_path)
    ctx = portal_context(config, db, plugins, node_id="node", cluster_secret=secrets.token_bytes(32))
    assert ctx.settings.gui_url == "https://kong-ee:8446"
    assert ctx.settings.portal_api_url == "https://kong-ee:8447"
    await prepare_portal(ctx)
    self_signed("kong-ee", tmp_path)
    cert, key = str(tmp_path / "kong-ee.crt"), str(tmp_path / "kong-ee.key")
    socks = [_bound() for _ in range(4)]
    running = await serve_portal(
        build_portal(ctx),
        gui=[(socks[0], False), (socks[1], True)],
        api=[(socks[2], False), (socks[3], True)],
        ssl_certfile=cert,
        ssl_keyfile=key,
    )
    try:
        ports = [s.getsockname()[1] for s in socks]
        async with httpx.AsyncClient(verify=False) as client:
            assert "Echo API" in (await client.get(f"http://127.0.0.1:{ports[0]}/default")).text
            assert "Echo API" in (await client.get(f"https://127.0.0.1:{ports[1]}/default")).text
            files = await client.get(f"https://127.0.0.1:{ports[3]}/default/files")
            assert files.status_code == 200
            assert (await client.get(f"http://127.0.0.1:{ports[2]}/default/developer")).status_code == 401
    finally:
        await running.stop()
        for sock in socks:
            sock.close()
        await db.close()


async def test_portal_refuses_a_dbless_node() -> None:
    plugins = PluginRegistry.load(["key-auth"])
    registry = EntityRegistry(plugins.config_schema, [*plugins.entities(), *PORTAL_ENTITIES], plugins.scope_rules)
    db = open_database("off", registry=registry, node_id="n")
    await db.connect()
    ctx = PortalContext(db=db, plugins=plugins, settings=PortalSettings(), cluster_secret=b"x" * 32)
    with pytest.raises(ConfigError) as raised:
        await prepare_portal(ctx)
    assert raised.value.key == "portal"
    await db.close()


async def test_bad_portal_auth_conf_in_kong_conf_stops_start_up(tmp_path: Path) -> None:
    db, plugins = await open_portal_db(tmp_path)
    settings = PortalSettings(auth="openid-connect", auth_conf={"issuer": 42, "client_id": ["x"]})
    ctx = PortalContext(db=db, plugins=plugins, settings=settings, cluster_secret=b"x" * 32)
    with pytest.raises(ConfigError) as raised:
        await prepare_portal(ctx)
    assert raised.value.key == "portal_auth_conf"
    assert "issuer" in raised.value.reason
    await db.close()
