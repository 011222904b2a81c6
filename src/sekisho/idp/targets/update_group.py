"""UpdateGroup: description, role and precedence."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.store import Put
from sekisho.idp.targets._common import Request, optional_str, require_str, timestamp


async def update_group(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    group = await svc.repo.group(pool["Id"], require_str(req, "GroupName", max_length=128))
    for field in ("Description", "RoleArn"):
        value = optional_str(req, field, max_length=2048)
        if value is not None:
            group[field] = value
    if req.get("Precedence") is not None:
        if not isinstance(req["Precedence"], int) or req["Precedence"] < 0:
            raise CognitoError.invalid_parameter("Precedence must be a non-negative integer.")
        group["Precedence"] = req["Precedence"]
    group["LastModifiedDate"] = timestamp(svc)
    await svc.store.apply([Put("group", pool["Id"], group["GroupName"], group)])
    return {"Group": group}
