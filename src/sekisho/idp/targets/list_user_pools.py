"""ListUserPools."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, page


async def list_user_pools(svc: Services, req: Request) -> dict[str, Any]:
    if req.get("MaxResults") is None:
        raise CognitoError.invalid_parameter(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: "
            "Member must not be null"
        )
    pools = [
        {k: p[k] for k in ("Id", "Name", "LambdaConfig", "LastModifiedDate", "CreationDate") if k in p}
        for p in await svc.repo.pools()
    ]
    items, token = page(pools, req.get("MaxResults"), req.get("NextToken"), maximum=60)
    return {"UserPools": items, **({"NextToken": token} if token else {})}
