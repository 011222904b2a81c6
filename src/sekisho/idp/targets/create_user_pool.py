"""CreateUserPool."""

from __future__ import annotations

import re
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.ids import new_pool_id
from sekisho.idp.services import Services
from sekisho.idp.store import Conflict, Insert
from sekisho.idp.targets._common import Request, optional_list, optional_map, require_str, timestamp
from sekisho.idp.targets._pool_settings import build_schema, updatable_settings

_NAME_PATTERN = r"[\w\s+=,.@-]+"


async def create_user_pool(svc: Services, req: Request) -> dict[str, Any]:
    return await create_pool(svc, req)


async def create_pool(svc: Services, req: Request, pool_id: str | None = None) -> dict[str, Any]:
    """CreateUserPool; `pool_id` pins the id (seed files), otherwise one is generated."""
    name = require_str(req, "PoolName", max_length=128, pattern=_NAME_PATTERN)
    aliases = optional_list(req, "AliasAttributes") or []
    username_attributes = optional_list(req, "UsernameAttributes") or []
    if aliases and username_attributes:
        raise CognitoError.invalid_parameter(
            "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool."
        )
    for value in aliases:
        if value not in ("email", "phone_number", "preferred_username"):
            raise CognitoError.invalid_parameter(f"Invalid AliasAttributes value {value}")
    for value in username_attributes:
        if value not in ("email", "phone_number"):
            raise CognitoError.invalid_parameter(f"Invalid UsernameAttributes value {value}")
    now = timestamp(svc)
    region = svc.settings.region
    if pool_id is not None and not re.fullmatch(r"[\w-]+_[0-9a-zA-Z]+", pool_id):
        raise CognitoError.invalid_parameter(f"Invalid user pool id {pool_id}")
    pool_id = pool_id or new_pool_id(region)
    pool: dict[str, Any] = {
        "Id": pool_id,
        "Name": name,
        **updatable_settings(req),
        "LastModifiedDate": now,
        "CreationDate": now,
        "SchemaAttributes": build_schema(optional_list(req, "Schema", max_items=50)),
        "EstimatedNumberOfUsers": 0,
        "Arn": f"arn:aws:cognito-idp:{region}:000000000000:userpool/{pool_id}",
    }
    if aliases:
        pool["AliasAttributes"] = aliases
    if username_attributes:
        pool["UsernameAttributes"] = username_attributes
    username_configuration = optional_map(req, "UsernameConfiguration")
    if username_configuration:
        pool["UsernameConfiguration"] = {"CaseSensitive": bool(username_configuration.get("CaseSensitive"))}
    if req.get("UserPoolTier"):
        pool["UserPoolTier"] = req["UserPoolTier"]
    try:
        await svc.store.apply([Insert("pool", "", pool_id, pool)])
    except Conflict as exc:  # nine random characters collided; vanishingly rare
        raise CognitoError("InternalErrorException", "Please retry.", status=500) from exc
    return {"UserPool": pool}
