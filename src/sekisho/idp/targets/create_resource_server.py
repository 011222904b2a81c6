"""CreateResourceServer: custom scopes `<Identifier>/<ScopeName>`."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.services import Services
from sekisho.idp.store import Conflict, Insert
from sekisho.idp.targets._common import Request, optional_list, require_str

_IDENTIFIER = r"[\x21\x23-\x5B\x5D-\x7E]+"
_SCOPE_NAME = r"[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+"


async def create_resource_server(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    identifier = require_str(req, "Identifier", max_length=256, pattern=_IDENTIFIER)
    name = require_str(req, "Name", max_length=256, pattern=r"[\w\s+=,.@-]+")
    scopes = optional_list(req, "Scopes", max_items=100) or []
    for scope in scopes:
        if not isinstance(scope, dict):
            raise CognitoError.invalid_parameter("Invalid scope")
        require_str(scope, "ScopeName", max_length=256, pattern=_SCOPE_NAME)
        require_str(scope, "ScopeDescription", max_length=256)
    record = {"UserPoolId": pool["Id"], "Identifier": identifier, "Name": name, "Scopes": scopes}
    try:
        await svc.store.apply([Insert("resource_server", pool["Id"], identifier, record)])
    except Conflict as exc:
        raise CognitoError.invalid_parameter(f"{identifier} already exists in user pool {pool['Id']}.") from exc
    return {"ResourceServer": record}
