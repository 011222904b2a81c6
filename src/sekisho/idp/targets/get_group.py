"""GetGroup."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str


async def get_group(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    return {"Group": await svc.repo.group(pool["Id"], require_str(req, "GroupName", max_length=128))}
