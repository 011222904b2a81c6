"""DescribeUserPoolDomain (an unknown domain gives an empty description, as Cognito)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, require_str


async def describe_user_pool_domain(svc: Services, req: Request) -> dict[str, Any]:
    record = await svc.repo.domain(require_str(req, "Domain", max_length=253))
    return {"DomainDescription": record or {}}
