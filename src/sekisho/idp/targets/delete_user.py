"""DeleteUser (self-service, access token)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request
from sekisho.idp.targets._self_service import token_user


async def delete_user(svc: Services, req: Request) -> dict[str, Any]:
    pool, user, _claims = await token_user(svc, req)
    await svc.repo.delete_user(pool, user)
    return {}
