"""The Cognito guide's "Dev Portal Integration" `portal_auth_conf`, key for key, for other hosts and ports
(what `sekisho demo` and the docs use to map the seed page onto a local IdP)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from sekisho.portal.workspaces import DEFAULT_WORKSPACE
from sekisho.store.base import Database, Row

__all__ = ["configure_oidc_portal", "seed_portal_auth_conf"]


def seed_portal_auth_conf(
    *, issuer: str, client_id: str, idp_domain_url: str, gui_url: str, api_url: str, workspace: str = "default"
) -> dict[str, Any]:
    """`issuer` is the user pool's issuer (the discovery URL is derived as in the seed); `idp_domain_url` the
    hosted UI base (Cognito: `https://<domain>.auth.<region>.amazoncognito.com`)."""
    portal = f"{gui_url.rstrip('/')}/{workspace}"
    logout = f"{idp_domain_url.rstrip('/')}/logout?" + urlencode({"client_id": client_id, "logout_uri": portal})
    return {
        "leeway": 100,
        "consumer_by": ["username", "custom_id", "id"],
        "scopes": ["openid", "profile", "email"],
        "logout_query_arg": "logout",
        "client_id": [client_id],
        "login_action": "redirect",
        "logout_redirect_uri": [logout],
        "login_tokens": {},
        "login_redirect_uri": [portal],
        "forbidden_redirect_uri": [f"{portal}/unauthorized"],
        "ssl_verify": False,
        "issuer": f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        "logout_methods": ["GET"],
        "consumer_claim": ["email"],
        "login_redirect_mode": "query",
        "redirect_uri": [f"{api_url.rstrip('/')}/{workspace}/auth"],
    }


async def configure_oidc_portal(
    db: Database,
    auth_conf: dict[str, Any],
    *,
    provisioning: dict[str, Any] | None = None,
    auto_approve: bool | None = None,
) -> Row:
    """`PATCH /workspaces/default` with `portal_auth = openid-connect` and `auth_conf` (plus, optionally,
    `portal_idp_provisioning` and `portal_auto_approve`), as an admin would do for the seed page."""
    workspace = await db.select("workspaces", DEFAULT_WORKSPACE)
    if workspace is None:
        raise LookupError("workspace 'default' does not exist yet (call prepare_portal first)")
    config: dict[str, Any] = {
        "portal": True,
        "portal_auth": "openid-connect",
        "portal_auth_conf": json.dumps(auth_conf, indent=4),
    }
    if provisioning is not None:
        config["portal_idp_provisioning"] = json.dumps(provisioning)
    if auto_approve is not None:
        config["portal_auto_approve"] = auto_approve
    return await db.update("workspaces", workspace["id"], {"config": config})
