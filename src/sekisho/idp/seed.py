"""`sekisho idp seed FILE.yaml`: declare pools, clients, domains, resource servers, groups and users.

Idempotent: a pool is found by `id` (if given) or `name`, a client by name within its pool, a group or a
user by name; what exists is left as it is (a user's password is reset when the file gives one).

    region: us-east-1
    pools:
      - name: kong-pool
        id: us-east-1_SeKiSho01            # optional, pins the pool id
        settings: {UsernameAttributes: [email], AutoVerifiedAttributes: [email], Schema: [...]}
        domain: kong-demo
        resource_servers: [{Identifier: api, Name: api, Scopes: [{ScopeName: read, ScopeDescription: r}]}]
        clients:
          - name: kong-api
            id: 1example0client0id00000001 # optional, pins the client id
            settings: {AllowedOAuthFlows: [code], CallbackURLs: [...], ...}
        groups: [{name: admins, precedence: 1}]
        users:
          - {username: a@example.com, password: "Passw0rd!", attributes: {given_name: A}, groups: [admins]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sekisho.idp.config import IdpSettings
from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services, build_services
from sekisho.idp.targets.admin_add_user_to_group import admin_add_user_to_group
from sekisho.idp.targets.admin_create_user import admin_create_user
from sekisho.idp.targets.admin_set_user_password import admin_set_user_password
from sekisho.idp.targets.create_group import create_group
from sekisho.idp.targets.create_resource_server import create_resource_server
from sekisho.idp.targets.create_user_pool import create_pool
from sekisho.idp.targets.create_user_pool_client import create_client
from sekisho.idp.targets.create_user_pool_domain import create_user_pool_domain

__all__ = ["SeedError", "apply_seed", "seed_file"]

_MAX_FILE_BYTES = 1_048_576


class SeedError(Exception):
    pass


def load_seed(path: Path) -> Any:
    if path.stat().st_size > _MAX_FILE_BYTES:
        raise SeedError(f"{path} is larger than {_MAX_FILE_BYTES} bytes")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: {exc}") from exc


async def seed_file(settings: IdpSettings, path: Path) -> dict[str, Any]:
    document = load_seed(path)
    svc = await build_services(settings)
    try:
        return await apply_seed(svc, document)
    finally:
        await svc.store.close()


async def apply_seed(svc: Services, document: Any) -> dict[str, Any]:
    if not isinstance(document, dict) or not isinstance(document.get("pools", []), list):
        raise SeedError("the seed file must be a mapping with a `pools` list")
    summary: dict[str, Any] = {"pools": []}
    for spec in document.get("pools", []):
        try:
            summary["pools"].append(await _seed_pool(svc, spec))
        except CognitoError as exc:
            raise SeedError(f"pool {spec.get('name')!r}: {exc.type_name}: {exc.message}") from exc
    return summary


async def _seed_pool(svc: Services, spec: dict[str, Any]) -> dict[str, Any]:
    name = spec["name"]
    pools = await svc.repo.pools()
    pool = next((p for p in pools if p["Id"] == spec.get("id") or (not spec.get("id") and p["Name"] == name)), None)
    if pool is None:
        pool = (await create_pool(svc, {**(spec.get("settings") or {}), "PoolName": name}, spec.get("id")))["UserPool"]
    pool_id = pool["Id"]
    existing_servers = {rs["Identifier"] for rs in await svc.repo.resource_servers(pool_id)}
    for server in spec.get("resource_servers") or []:
        if server["Identifier"] not in existing_servers:
            await create_resource_server(svc, {**server, "UserPoolId": pool_id})
    if spec.get("domain") and not pool.get("Domain"):
        await create_user_pool_domain(svc, {"Domain": spec["domain"], "UserPoolId": pool_id})
    clients = {c["ClientName"]: c for c in await svc.repo.clients(pool_id)}
    client_ids: dict[str, str] = {}
    for client_spec in spec.get("clients") or []:
        client = clients.get(client_spec["name"])
        if client is None:
            request = {**(client_spec.get("settings") or {}), "UserPoolId": pool_id, "ClientName": client_spec["name"]}
            if client_spec.get("secret"):
                request["ClientSecret"] = client_spec["secret"]
            client = (await create_client(svc, request, client_spec.get("id")))["UserPoolClient"]
        client_ids[client["ClientName"]] = client["ClientId"]
    groups = {g["GroupName"] for g in await svc.store.list("group", pool_id)}
    for group in spec.get("groups") or []:
        if group["name"] not in groups:
            request = {"UserPoolId": pool_id, "GroupName": group["name"]}
            for key, api_key in (("description", "Description"), ("precedence", "Precedence"), ("role_arn", "RoleArn")):
                if key in group:
                    request[api_key] = group[key]
            await create_group(svc, request)
    users = []
    for user_spec in spec.get("users") or []:
        users.append(await _seed_user(svc, pool_id, user_spec))
    return {
        "id": pool_id,
        "name": name,
        "issuer": svc.settings.issuer(pool_id),
        "domain": spec.get("domain") or pool.get("Domain"),
        "clients": client_ids,
        "users": users,
    }


async def _seed_user(svc: Services, pool_id: str, spec: dict[str, Any]) -> str:
    pool = await svc.repo.pool(pool_id)
    username = spec["username"]
    user = await svc.repo.user(pool, username)
    if user is None:
        attributes = [{"Name": k, "Value": str(v)} for k, v in (spec.get("attributes") or {}).items()]
        has_email = any(a["Name"] == "email" for a in attributes) or "email" in (pool.get("UsernameAttributes") or [])
        if spec.get("email_verified", True) and has_email:
            attributes.append({"Name": "email_verified", "Value": "true"})
        request = {
            "UserPoolId": pool_id,
            "Username": username,
            "UserAttributes": attributes,
            "MessageAction": "SUPPRESS",
        }
        user = (await admin_create_user(svc, request))["User"]
    if spec.get("password"):
        await admin_set_user_password(
            svc, {"UserPoolId": pool_id, "Username": username, "Password": spec["password"], "Permanent": True}
        )
    for group in spec.get("groups") or []:
        await admin_add_user_to_group(svc, {"UserPoolId": pool_id, "Username": username, "GroupName": group})
    return str(user["Username"])
