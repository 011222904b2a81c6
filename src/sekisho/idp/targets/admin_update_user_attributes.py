"""AdminUpdateUserAttributes (a changed email is unverified again unless email_verified is set too)."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import attribute_map, set_attributes, uses_email_as_username
from sekisho.idp.repo import alias_key
from sekisho.idp.services import Services
from sekisho.idp.store import Delete, Insert, Op
from sekisho.idp.targets._common import Request, attribute_list, require_str
from sekisho.idp.targets._users import check_attributes


async def admin_update_user_attributes(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    user = await svc.repo.require_user(pool, require_str(req, "Username", max_length=128))
    if req.get("UserAttributes") is None:
        require_str(req, "UserAttributes")
    updates = attribute_list(req, "UserAttributes")
    check_attributes(pool, updates, enforce_required=False, client=None)
    schema = {a["Name"]: a for a in pool.get("SchemaAttributes", [])}
    for name in updates:
        if not schema.get(name, {}).get("Mutable", True):
            raise CognitoError.invalid_parameter(f"Cannot modify an immutable attribute: {name}")
    before = attribute_map(user)
    extra: list[Op] = []
    new_email = updates.get("email")
    if new_email and new_email != before.get("email"):
        updates.setdefault("email_verified", "false")
        if uses_email_as_username(pool):
            extra.append(Insert("alias", pool["Id"], alias_key("email", new_email), {"user_key": user["_key"]}))
            if before.get("email"):
                extra.append(Delete("alias", pool["Id"], alias_key("email", before["email"])))
    set_attributes(user, updates)
    user["UserLastModifiedDate"] = round(svc.clock.now(), 3)
    from sekisho.idp.store import Conflict

    try:
        await svc.repo.save_user(pool, user, extra)
    except Conflict as exc:
        raise CognitoError("AliasExistsException", "An account with the given email already exists.") from exc
    return {}
