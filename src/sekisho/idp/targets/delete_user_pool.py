"""DeleteUserPool: the pool, everything in it, its domain and its client index entries, in one batch."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.store import Delete, DeleteScope, Op
from sekisho.idp.targets._common import Request, require_str


async def delete_user_pool(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    if pool.get("DeletionProtection") == "ACTIVE":
        raise CognitoError.invalid_parameter(
            "The user pool cannot be deleted because deletion protection is activated. "
            "Deletion protection must be inactivated first."
        )
    ops: list[Op] = [DeleteScope(pool["Id"]), Delete("pool", "", pool["Id"])]
    ops += [Delete("client_index", "", c["ClientId"]) for c in await svc.repo.clients(pool["Id"])]
    for key in ("Domain", "CustomDomain"):
        if pool.get(key):
            ops.append(Delete("domain", "", pool[key]))
    await svc.store.apply(ops)
    return {}
