"""CreateUserPoolClient."""

from __future__ import annotations

import re
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.ids import new_client_id, new_client_secret
from sekisho.idp.services import Services
from sekisho.idp.targets._client_settings import client_settings
from sekisho.idp.targets._common import Request, require_str, timestamp


async def create_user_pool_client(svc: Services, req: Request) -> dict[str, Any]:
    return await create_client(svc, req)


async def create_client(svc: Services, req: Request, client_id: str | None = None) -> dict[str, Any]:
    """CreateUserPoolClient; `client_id` pins the id (seed files), otherwise one is generated."""
    if client_id is not None and not re.fullmatch(r"[a-z0-9]{1,128}", client_id):
        raise CognitoError.invalid_parameter(f"Invalid client id {client_id}")
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    require_str(req, "ClientName", max_length=128)
    secret = req.get("ClientSecret")
    if secret is not None:
        secret = require_str(req, "ClientSecret", max_length=64, pattern=r"[\w+]+")
        if len(secret) < 24:
            raise CognitoError.invalid_parameter("ClientSecret must be between 24 and 64 characters.")
    elif req.get("GenerateSecret"):
        secret = new_client_secret()
    now = timestamp(svc)
    client: dict[str, Any] = {
        "UserPoolId": pool["Id"],
        "ClientId": client_id or new_client_id(),
        **({"ClientSecret": secret} if secret else {}),
        "LastModifiedDate": now,
        "CreationDate": now,
        **(await client_settings(svc, pool, req, has_secret=bool(secret))),
    }
    await svc.store.apply(svc.repo.client_ops(client))
    return {"UserPoolClient": client}
