"""The portal's entities with Kong's names and fields: `workspaces`, `developers`, `files`, `applications`.

They live in the node's `EntityRegistry` like plugin-owned entities (no DDL needed) and are served by the
portal's own Admin routes (`sekisho.portal.admin_api`), not the generated ones: a developer is created
together with its consumer, and Kong's response shapes differ from plain CRUD.
"""

from __future__ import annotations

import json
from typing import Any

from sekisho.portal.statuses import DeveloperStatus
from sekisho.schema import Array, Boolean, EntitySchema, Foreign, Integer, Record, Set, String, typedefs as t

__all__ = [
    "APPLICATIONS",
    "CONSUMER_TYPE_APPLICATION",
    "CONSUMER_TYPE_DEVELOPER",
    "DEFAULT_META_FIELDS",
    "DEVELOPERS",
    "DEVELOPER_ROLES",
    "FILES",
    "FILE_PREFIXES",
    "PORTAL_ENTITIES",
    "WORKSPACES",
    "json_object_text",
]

CONSUMER_TYPE_DEVELOPER = 1
CONSUMER_TYPE_APPLICATION = 3
MAX_JSON_TEXT = 64 * 1024
FILE_PREFIXES = ("specs/", "content/", "themes/", "emails/")
FILE_ROOTS = ("portal.conf.yaml", "router.conf.yaml")
DEFAULT_META_FIELDS = json.dumps(
    [{"label": "Full Name", "title": "full_name", "validator": {"required": True, "type": "string"}}]
)


def json_object_text(value: str) -> str | None:
    """A validator: the string must hold a JSON object (Kong stores `portal_auth_conf` as JSON text)."""
    if len(value) > MAX_JSON_TEXT:
        return f"must not be longer than {MAX_JSON_TEXT} characters"
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if not isinstance(decoded, dict):
        return "expected a JSON object"
    return None


def _json_array_text(value: str) -> str | None:
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg}"
    return None if isinstance(decoded, list) else "expected a JSON array"


def _file_path(value: str) -> str | None:
    if value in FILE_ROOTS:
        return None
    if not value.startswith(FILE_PREFIXES):
        return "must be portal.conf.yaml, router.conf.yaml or start with " + ", ".join(FILE_PREFIXES)
    parts = value.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in value:
        return "must be a relative path without empty, '.' or '..' segments"
    return None


WORKSPACE_CONFIG = Record(
    {
        "portal": Boolean(default=False, description="Whether this workspace's Dev Portal is on."),
        "portal_auth": String(
            one_of=["basic-auth", "key-auth", "openid-connect"],
            description="Developer login: basic-auth, key-auth or openid-connect (unset: public portal).",
        ),
        "portal_auth_conf": String(
            validators=[json_object_text],
            description="JSON text: the auth plugin's configuration (for openid-connect, a plugin config).",
        ),
        "portal_auto_approve": Boolean(description="Registered developers are approved at once."),
        "portal_session_conf": String(
            validators=[json_object_text], description="JSON text: session settings for basic-/key-auth portals."
        ),
        "portal_developer_meta_fields": String(
            default=DEFAULT_META_FIELDS,
            validators=[_json_array_text],
            description="JSON text: the extra registration fields (label, title, validator).",
        ),
        "portal_token_exp": Integer(between=(1, 100_000_000), description="Lifetime of emailed tokens (s)."),
        "portal_cors_origins": Array(String(), description="Extra allowed origins for the Portal API."),
        "portal_emails_from": String(description="Sender address of portal emails."),
        "portal_emails_reply_to": String(description="Reply-to address of portal emails."),
        "portal_invite_email": Boolean(description="Send invitation emails."),
        "portal_access_request_email": Boolean(description="Email admins on access requests."),
        "portal_approved_email": Boolean(description="Email developers once approved."),
        "portal_reset_email": Boolean(description="Send password reset emails."),
        "portal_reset_success_email": Boolean(description="Confirm password resets by email."),
        "portal_idp_provisioning": String(
            validators=[json_object_text],
            description=(
                'sekisho: JSON text `{"endpoint", "region", "client_id"}`; when set, portal sign-up also '
                "creates the user in the Cognito-compatible user pool (SignUp)."
            ),
        ),
    },
    description="Per-workspace settings; unset keys fall back to kong.conf.",
)

WORKSPACES = EntitySchema(
    name="workspaces",
    endpoint_key="name",
    workspaceable=False,
    generate_admin_api=False,
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "name": String(
            required=True,
            unique=True,
            match=r"^[A-Za-z0-9._~-]+$",
            match_message="must only contain alphanumeric and '., -, _, ~' characters",
            description="The workspace name, the first path segment of its portal URLs.",
        ),
        "comment": String(description="Free text."),
        "config": WORKSPACE_CONFIG,
        "meta": Record(
            {"color": String(description="Badge colour."), "thumbnail": String(description="Badge image.")},
            description="Presentation data for the manager UI.",
        ),
    },
)

DEVELOPERS = EntitySchema(
    name="developers",
    endpoint_key="email",
    generate_admin_api=False,
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "email": String(
            required=True,
            unique=True,
            len_max=254,
            match=r"^[^@\s]+@[^@\s]+$",
            match_message="missing '@' symbol",
            description="The developer's email, also the username of its consumer.",
        ),
        "status": Integer(
            default=int(DeveloperStatus.PENDING),
            one_of=[int(s) for s in DeveloperStatus],
            description="0 approved, 1 pending, 2 rejected, 3 revoked, 4 invited, 5 unverified.",
        ),
        "meta": String(len_max=MAX_JSON_TEXT, description="JSON text of the registration fields."),
        "custom_id": String(unique=True, description="An id from another system."),
        "roles": Set(
            String(len_max=255),
            len_max=100,
            description="Names of developer roles (`/developers/roles`); content `readable_by` checks them.",
        ),
        "consumer": Foreign(
            "consumers", required=True, on_delete="cascade", description="The consumer (type 1) backing it."
        ),
        "tags": t.tags(),
    },
)

DEVELOPER_ROLES = EntitySchema(
    name="developer_roles",
    endpoint_key="name",
    generate_admin_api=False,
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "name": String(
            required=True,
            unique=True,
            len_max=255,
            match=r"^[^*/\s][^/]*$",
            match_message="must not be empty, start with '*' or contain '/'",
            description="The role's name, used in content `readable_by`.",
        ),
        "comment": String(len_max=4096, description="Free text."),
    },
)

FILES = EntitySchema(
    name="files",
    endpoint_key="path",
    generate_admin_api=False,
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "path": String(
            required=True, unique=True, len_max=1024, validators=[_file_path], description="The file's path."
        ),
        "contents": String(required=True, len_max=2 * 1024 * 1024, description="The file's text."),
        "checksum": String(description="SHA-256 of the contents (hex)."),
    },
)

APPLICATIONS = EntitySchema(
    name="applications",
    generate_admin_api=False,
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "name": String(required=True, len_min=1, len_max=255, description="Name, unique per developer."),
        "description": String(len_max=4096, description="Free text."),
        "redirect_uri": String(len_max=2048, description="OAuth redirect URI (external-oauth2 strategy)."),
        "custom_id": String(unique=True, description="An id from another system (e.g. an IdP client id)."),
        "developer": Foreign("developers", required=True, on_delete="cascade", description="The developer owning it."),
        "consumer": Foreign(
            "consumers", required=True, on_delete="cascade", description="The consumer (type 3) of its keys."
        ),
        "meta": String(len_max=MAX_JSON_TEXT, description="JSON text."),
    },
)

PORTAL_ENTITIES: tuple[EntitySchema, ...] = (WORKSPACES, DEVELOPER_ROLES, DEVELOPERS, FILES, APPLICATIONS)
"""Register these after the core entities: `EntityRegistry(..., [*plugins.entities(), *PORTAL_ENTITIES])`."""


def decode_json_text(value: Any) -> Any:
    """JSON text to a value; None when unset, empty or invalid (validated on write already)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None
