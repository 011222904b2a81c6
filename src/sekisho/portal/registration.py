"""Developer registration (Portal API `POST /<ws>/register` and the GUI's register form)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sekisho.errors import SchemaViolation
from sekisho.portal import developers as devs
from sekisho.portal.provisioning import ProvisioningError, sign_up
from sekisho.portal.statuses import DeveloperStatus
from sekisho.portal.workspaces import EffectivePortal
from sekisho.store.base import Database, Row

__all__ = ["check_meta", "parse_meta", "register_developer"]

_ALLOWED = frozenset({"email", "meta", "password", "key"})


def parse_meta(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value.strip():
        try:
            decoded = json.loads(value)
        except ValueError:
            raise SchemaViolation({"meta": "invalid JSON"}) from None
        if isinstance(decoded, dict):
            return decoded
        raise SchemaViolation({"meta": "expected a JSON object"})
    return {}


def check_meta(portal: EffectivePortal, meta: dict[str, Any]) -> None:
    errors: dict[str, Any] = {}
    known = {str(f.get("title")) for f in portal.meta_fields}
    for name in meta:
        if name not in known:
            errors[name] = "unknown field"
    for spec in portal.meta_fields:
        title = str(spec.get("title"))
        raw_validator = spec.get("validator")
        validator: dict[str, Any] = raw_validator if isinstance(raw_validator, dict) else {}
        value = meta.get(title)
        if validator.get("required") and (value is None or (isinstance(value, str) and not value.strip())):
            errors[title] = "required field missing"
        elif value is not None and validator.get("type") == "string" and not isinstance(value, str):
            errors[title] = "expected a string"
    if errors:
        raise SchemaViolation({"meta": errors})


async def register_developer(db: Database, portal: EffectivePortal, data: Mapping[str, Any]) -> Row:
    """Validate, optionally create the IdP user (`portal_idp_provisioning`), then create the developer."""
    if "status" in data:
        raise SchemaViolation({"status": "invalid field"})
    unknown = {k: "unknown field" for k in data if k not in _ALLOWED}
    if unknown:
        raise SchemaViolation(unknown)
    meta = parse_meta(data.get("meta"))
    check_meta(portal, meta)
    email = devs.normalize_email(data.get("email"))
    fields: dict[str, Any] = {"email": email, "meta": json.dumps(meta, separators=(",", ":"))}
    password = data.get("password")
    if portal.auth == "basic-auth":
        if not isinstance(password, str) or not password:
            raise SchemaViolation({"password": "required field missing"})
        fields["password"] = password
    elif portal.auth == "key-auth":
        if not isinstance(data.get("key"), str) or not data.get("key"):
            raise SchemaViolation({"key": "required field missing"})
        fields["key"] = data["key"]
    status = DeveloperStatus.APPROVED if portal.auto_approve else DeveloperStatus.PENDING
    if portal.idp_provisioning and portal.auth == "openid-connect":
        if not isinstance(password, str) or not password:
            raise SchemaViolation({"password": "required field missing (the identity provider account needs one)"})
        if isinstance(email, str) and await db.select_by("developers", "email", email) is not None:
            return await devs.create_developer(db, fields, default_status=status)  # reports the duplicate
        full_name = str(meta.get("full_name") or "")
        given, _, family = full_name.partition(" ")
        try:
            await sign_up(
                portal.idp_provisioning,
                email=str(email),
                password=password,
                attributes={"given_name": given or full_name, "family_name": family or given or full_name},
            )
        except ProvisioningError as exc:
            raise SchemaViolation({"password" if "Password" in exc.kind else "email": exc.message}) from None
    return await devs.create_developer(db, fields, default_status=status)
