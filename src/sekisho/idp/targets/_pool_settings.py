"""The settable parts of a user pool, shared by CreateUserPool and UpdateUserPool."""

from __future__ import annotations

import copy
from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import STANDARD_ATTRIBUTES
from sekisho.idp.passwords import DEFAULT_PASSWORD_POLICY
from sekisho.idp.targets._common import Request, optional_list, optional_map

__all__ = ["build_schema", "updatable_settings"]

_STRING_CONSTRAINTS = {"MinLength": "0", "MaxLength": "2048"}


def _standard_schema() -> list[dict[str, Any]]:
    schema: list[dict[str, Any]] = [
        {
            "Name": "sub",
            "AttributeDataType": "String",
            "DeveloperOnlyAttribute": False,
            "Mutable": False,
            "Required": True,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "2048"},
        }
    ]
    for name in STANDARD_ATTRIBUTES:
        entry: dict[str, Any] = {
            "Name": name,
            "AttributeDataType": "Number" if name == "updated_at" else "String",
            "DeveloperOnlyAttribute": False,
            "Mutable": True,
            "Required": False,
        }
        if name == "updated_at":
            entry["NumberAttributeConstraints"] = {"MinValue": "0"}
        else:
            entry["StringAttributeConstraints"] = dict(_STRING_CONSTRAINTS)
        schema.append(entry)
        if name in ("email", "phone_number"):
            schema.append(
                {
                    "Name": f"{name}_verified",
                    "AttributeDataType": "Boolean",
                    "DeveloperOnlyAttribute": False,
                    "Mutable": True,
                    "Required": False,
                }
            )
    return schema


def build_schema(requested: list[Any] | None) -> list[dict[str, Any]]:
    schema = _standard_schema()
    by_name = {a["Name"]: a for a in schema}
    for item in requested or []:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str) or not item["Name"]:
            raise CognitoError.invalid_parameter("Schema attribute name is required")
        name = item["Name"]
        if name in by_name:
            by_name[name].update({k: v for k, v in item.items() if k in ("Required", "Mutable")})
            continue
        if len(name) > 20:
            raise CognitoError.invalid_parameter(f"Custom attribute name {name} is too long (max 20 characters)")
        if item.get("Required"):
            raise CognitoError.invalid_parameter("Required custom attributes are not supported currently.")
        data_type = item.get("AttributeDataType", "String")
        if data_type not in ("String", "Number", "DateTime", "Boolean"):
            raise CognitoError.invalid_parameter(f"Invalid AttributeDataType {data_type}")
        entry = {
            "Name": f"custom:{name}",
            "AttributeDataType": data_type,
            "DeveloperOnlyAttribute": bool(item.get("DeveloperOnlyAttribute", False)),
            "Mutable": bool(item.get("Mutable", True)),
            "Required": False,
        }
        if data_type == "String":
            entry["StringAttributeConstraints"] = item.get("StringAttributeConstraints") or {}
        if data_type == "Number":
            entry["NumberAttributeConstraints"] = item.get("NumberAttributeConstraints") or {}
        schema.append(entry)
        by_name[entry["Name"]] = entry
    return schema


def _password_policy(req: Request) -> dict[str, Any]:
    policy = copy.deepcopy(DEFAULT_PASSWORD_POLICY)
    requested = (optional_map(req, "Policies") or {}).get("PasswordPolicy") or {}
    if not isinstance(requested, dict):
        raise CognitoError("SerializationException", "Expected a structure for PasswordPolicy")
    policy.update(requested)
    length = policy.get("MinimumLength")
    if not isinstance(length, int) or not 6 <= length <= 99:
        raise CognitoError.invalid_parameter(
            "1 validation error detected: Value at 'policies.passwordPolicy.minimumLength' failed to satisfy "
            "constraint: Member must have value between 6 and 99"
        )
    return policy


def updatable_settings(req: Request) -> dict[str, Any]:
    """Settings UpdateUserPool may change. Like Cognito, an omitted setting goes back to its default."""
    auto_verified = optional_list(req, "AutoVerifiedAttributes", max_items=2) or []
    for name in auto_verified:
        if name not in ("email", "phone_number"):
            raise CognitoError.invalid_parameter(f"Invalid AutoVerifiedAttributes value {name}")
    admin_config = {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7}
    admin_config.update(optional_map(req, "AdminCreateUserConfig") or {})
    template = {"DefaultEmailOption": "CONFIRM_WITH_CODE"}
    template.update(optional_map(req, "VerificationMessageTemplate") or {})
    if req.get("EmailVerificationMessage"):
        template["EmailMessage"] = req["EmailVerificationMessage"]
    if req.get("EmailVerificationSubject"):
        template["EmailSubject"] = req["EmailVerificationSubject"]
    mfa = req.get("MfaConfiguration") or "OFF"
    if mfa not in ("OFF", "ON", "OPTIONAL"):
        raise CognitoError.invalid_parameter(f"Invalid MfaConfiguration {mfa}")
    return {
        "Policies": {"PasswordPolicy": _password_policy(req)},
        "DeletionProtection": req.get("DeletionProtection") or "INACTIVE",
        "LambdaConfig": optional_map(req, "LambdaConfig") or {},
        "AutoVerifiedAttributes": auto_verified,
        "VerificationMessageTemplate": template,
        "MfaConfiguration": mfa,
        "UserPoolTags": optional_map(req, "UserPoolTags") or {},
        "AdminCreateUserConfig": admin_config,
        "AccountRecoverySetting": optional_map(req, "AccountRecoverySetting")
        or {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        "EmailConfiguration": optional_map(req, "EmailConfiguration") or {"EmailSendingAccount": "COGNITO_DEFAULT"},
    }
