"""The `plugins` entity; `config` is validated by the schema of the plugin named in `name`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sekisho.schema import Boolean, EntitySchema, Field, Foreign, Record, Set, String, typedefs as t

__all__ = ["ConfigResolver", "plugins_schema"]

ConfigResolver = Callable[[str], "Record | None"]
"""Returns the config schema of an enabled plugin, or None when the plugin is not enabled."""

DEFAULT_PLUGIN_PROTOCOLS = ["grpc", "grpcs", "http", "https"]


class _Config(Field):
    kind = "record"


def plugins_schema(
    resolve: ConfigResolver, scope_rules: Callable[[str], dict[str, bool]] | None = None
) -> EntitySchema:
    """Build the plugins entity for the set of plugins this node enables."""

    def choose_config(row: dict[str, Any]) -> Record | tuple[str, str] | None:
        name = row.get("name")
        if not isinstance(name, str):
            return None
        record = resolve(name)
        if record is None:
            return ("name", f"plugin '{name}' not enabled; add it to the 'plugins' configuration property")
        return record

    def check_scope(row: dict[str, Any]) -> dict[str, Any] | None:
        if scope_rules is None or not isinstance(row.get("name"), str):
            return None
        rules = scope_rules(row["name"])
        errors: dict[str, Any] = {}
        for key in ("consumer", "route", "service"):
            if row.get(key) is not None and rules.get(f"no_{key}"):
                errors[key] = "value must be null"
        return errors or None

    schema = EntitySchema(
        name="plugins",
        endpoint_key="instance_name",
        cache_key=("name", "route", "service", "consumer"),
        fields={
            "id": t.uuid_id(),
            "created_at": t.created_at(),
            "updated_at": t.updated_at(),
            "name": String(required=True, description="Name of the plugin (for example `key-auth`)."),
            "instance_name": t.name("Optional unique name of this plugin instance."),
            "route": Foreign("routes", on_delete="cascade", description="Route this plugin applies to."),
            "service": Foreign("services", on_delete="cascade", description="Service this plugin applies to."),
            "consumer": Foreign("consumers", on_delete="cascade", description="Consumer this plugin applies to."),
            "config": _Config(description="The plugin's configuration, validated by its own schema."),
            "protocols": Set(
                String(one_of=list(t.PROTOCOLS)),
                default=list(DEFAULT_PLUGIN_PROTOCOLS),
                required=True,
                description="Protocols this plugin runs on.",
            ),
            "enabled": Boolean(default=True, required=True, description="Whether the plugin runs."),
            "tags": t.tags(),
        },
        checks=[check_scope],
    )
    schema.dynamic_fields["config"] = choose_config
    return schema
