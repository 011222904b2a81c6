"""DescribeResourceServer."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str


async def describe_resource_server(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    identifier = require_str(req, "Identifier", max_length=256)
    record = await svc.store.get("resource_server", pool["Id"], identifier)
    if record is None:
        raise CognitoError.not_found(f"Resource server {identifier} does not exist.")
    return {"ResourceServer": record}
