"""The `consumers` entity."""

from __future__ import annotations

from sekisho.schema import EntitySchema, Integer, String, at_least_one_of, typedefs as t

__all__ = ["CONSUMERS"]

CONSUMERS = EntitySchema(
    name="consumers",
    endpoint_key="username",
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "username": String(unique=True, description="Unique username of the consumer."),
        "custom_id": String(unique=True, description="Unique id from an existing user database."),
        "type": Integer(
            default=0,
            one_of=[0, 1, 2, 3],
            description="Kind of consumer: 0 proxy, 1 developer, 2 admin, 3 application (Kong EE).",
        ),
        "tags": t.tags(),
    },
    checks=[at_least_one_of("custom_id", "username")],
)
