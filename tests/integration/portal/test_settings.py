"""Effective portal settings: a workspace's `config` over kong.conf, JSON text decoded, empty means unset."""

from __future__ import annotations

import json

from sekisho.portal import PortalSettings
from sekisho.portal.entities import WORKSPACES
from sekisho.portal.workspaces import effective_portal


def test_workspace_config_overrides_kong_conf() -> None:
    settings = PortalSettings(
        gui_protocol="https",
        gui_host="kong-ee:8446",
        auth="basic-auth",
        auth_conf={"hide_credentials": True},
        auto_approve=True,
        session_conf={"cookie_name": "from_conf"},
    )
    assert settings.portal_api_url == "https://kong-ee:8447"
    plain = effective_portal(WORKSPACES.insert({"name": "default"}), settings)
    assert plain.auth == "basic-auth"
    assert plain.auth_conf == {"hide_credentials": True}
    assert plain.auto_approve is True
    assert plain.session_conf == {"cookie_name": "from_conf"}
    assert plain.gui_base == "https://kong-ee:8446/default"
    assert plain.api_base == "https://kong-ee:8447/default"
    assert [f["title"] for f in plain.meta_fields] == ["full_name"]

    row = WORKSPACES.insert(
        {
            "name": "default",
            "config": {
                "portal": True,
                "portal_auth": "openid-connect",
                "portal_auth_conf": json.dumps({"issuer": "https://idp.example/.well-known/openid-configuration"}),
                "portal_auto_approve": False,
            },
        }
    )
    portal = effective_portal(row, settings)
    assert portal.auth == "openid-connect"
    assert portal.auth_conf == {"issuer": "https://idp.example/.well-known/openid-configuration"}
    assert portal.auto_approve is False
    assert portal.session_conf == {"cookie_name": "from_conf"}


def test_api_url_defaults() -> None:
    assert PortalSettings().portal_api_url == "http://127.0.0.1:8004"
    assert PortalSettings(api_url="https://api.example/portal/").portal_api_url == "https://api.example/portal"
