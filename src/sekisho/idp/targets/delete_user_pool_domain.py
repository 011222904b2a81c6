"""DeleteUserPoolDomain."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.store import Delete, Put
from sekisho.idp.targets._common import Request, require_str


async def delete_user_pool_domain(svc: Services, req: Request) -> dict[str, Any]:
    domain = require_str(req, "Domain", max_length=253)
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    record = await svc.repo.domain(domain)
    if record is None or record["UserPoolId"] != pool["Id"]:
        raise CognitoError.invalid_parameter("No such domain or user pool exists.")
    for slot in ("Domain", "CustomDomain"):
        if pool.get(slot) == domain:
            del pool[slot]
    await svc.store.apply([Delete("domain", "", domain), Put("pool", "", pool["Id"], pool)])
    return {}
