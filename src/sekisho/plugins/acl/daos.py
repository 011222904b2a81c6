"""The `acls` entity: group memberships of consumers."""

from __future__ import annotations

from sekisho.schema import EntitySchema, Foreign, String, typedefs as t

__all__ = ["ACLS"]

ACLS = EntitySchema(
    name="acls",
    cache_key=("consumer", "group"),
    admin_path="acls",
    admin_nested_path="acls",
    admin_nested_key="group",  # `/consumers/{consumer}/acls/{group}` as well as the id
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "consumer": Foreign("consumers", required=True, on_delete="cascade", description="The consumer in the group."),
        "group": String(required=True, description="Name of the group."),
        "tags": t.tags(),
    },
)
