"""ListUsers with Cognito's Filter syntax: `attr = "value"` (exact) or `attr ^= "prefix"`."""

from __future__ import annotations

import re
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import User, attribute_map
from sekisho.idp.services import Services
from sekisho.idp.targets._common import Request, optional_list, optional_str, page, require_str
from sekisho.idp.targets._users import user_view

_FILTER = re.compile(r'^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$')
_FILTERABLE = {
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
}


def _value(user: User, attribute: str) -> str | None:
    if attribute == "username":
        return str(user["Username"])
    if attribute == "cognito:user_status":
        return str(user["UserStatus"])
    if attribute == "status":
        return "Enabled" if user.get("Enabled", True) else "Disabled"
    return attribute_map(user).get(attribute)


async def list_users(svc: Services, req: Request) -> dict[str, Any]:
    pool = await svc.repo.pool(require_str(req, "UserPoolId", max_length=55))
    users = await svc.repo.users(pool["Id"])
    raw_filter = optional_str(req, "Filter", max_length=256) if req.get("Filter") != "" else None
    if raw_filter:
        match = _FILTER.match(str(raw_filter))
        if match is None or match.group(1) not in _FILTERABLE:
            raise CognitoError.invalid_parameter("Error while parsing filter.")
        attribute, operator, expected = match.group(1), match.group(2), match.group(3).replace('\\"', '"')
        if operator == "=":
            users = [u for u in users if _value(u, attribute) == expected]
        else:
            users = [u for u in users if (_value(u, attribute) or "").startswith(expected)]
    wanted = optional_list(req, "AttributesToGet", max_items=100)
    views = []
    for user in users:
        view = user_view(user)
        if wanted is not None:
            view["Attributes"] = [a for a in view["Attributes"] if a["Name"] in wanted]
        views.append(view)
    items, token = page(views, req.get("Limit"), req.get("PaginationToken"), maximum=60)
    return {"Users": items, **({"PaginationToken": token} if token else {})}
