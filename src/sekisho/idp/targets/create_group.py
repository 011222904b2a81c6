"""CreateGroup."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.store import Conflict, Insert
from sekisho.idp.targets._common import Request, optional_str, require_str, timestamp


async def create_group(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    name = require_str(req, "GroupName", max_length=128, pattern=r"\S+")
    precedence = req.get("Precedence")
    if precedence is not None and (not isinstance(precedence, int) or precedence < 0):
        raise CognitoError.invalid_parameter("Precedence must be a non-negative integer.")
    now = timestamp(svc)
    group: dict[str, Any] = {"GroupName": name, "UserPoolId": pool["Id"]}
    description = optional_str(req, "Description", max_length=2048)
    if description is not None:
        group["Description"] = description
    role = optional_str(req, "RoleArn", max_length=2048)
    if role is not None:
        group["RoleArn"] = role
    if precedence is not None:
        group["Precedence"] = precedence
    group |= {"LastModifiedDate": now, "CreationDate": now}
    try:
        await svc.store.apply([Insert("group", pool["Id"], name, group)])
    except Conflict as exc:
        raise CognitoError("GroupExistsException", f"A group with the name {name} already exists.") from exc
    return {"Group": group}
