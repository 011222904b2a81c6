"""UpdateUserAttributes (self-service, access token); a new email is unverified and gets a code."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import attribute_map, set_attributes
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, attribute_list, issue_code
from sekisho.idp.targets._self_service import token_user
from sekisho.idp.targets._users import check_attributes


async def update_user_attributes(svc: Services, req: Request) -> dict[str, Any]:
    pool, user, claims = await token_user(svc, req)
    updates = attribute_list(req, "UserAttributes")
    client = await svc.store.get("client", pool["Id"], str(claims.get("client_id")))
    check_attributes(pool, updates, enforce_required=False, client=client)
    for name in ("email_verified", "phone_number_verified"):
        if name in updates:
            raise CognitoError.not_authorized(f"A client attempted to write unauthorized attribute {name}")
    schema = {a["Name"]: a for a in pool.get("SchemaAttributes", [])}
    for name in updates:
        if not schema.get(name, {}).get("Mutable", True):
            raise CognitoError.invalid_parameter(f"Cannot modify an immutable attribute: {name}")
    email_changed = "email" in updates and updates["email"] != attribute_map(user).get("email")
    if email_changed:
        updates["email_verified"] = "false"
    set_attributes(user, updates)
    user["UserLastModifiedDate"] = round(svc.clock.now(), 3)
    await svc.repo.save_user(pool, user)
    if email_changed and "email" in (pool.get("AutoVerifiedAttributes") or []):
        return {"CodeDeliveryDetailsList": [await issue_code(svc, pool, user, "confirmation")]}
    return {}
