"""Kong's core entities, and the registry that adds the entities plugins own (credentials, ACLs, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sekisho.entities.certificates import CA_CERTIFICATES, CERTIFICATES, SNIS
from sekisho.entities.consumers import CONSUMERS
from sekisho.entities.plugins import ConfigResolver, plugins_schema
from sekisho.entities.routes import ROUTES
from sekisho.entities.services import SERVICES
from sekisho.entities.upstreams import TARGETS, UPSTREAMS
from sekisho.schema import EntitySchema

__all__ = ["CORE_ENTITY_NAMES", "EntityRegistry"]

# Dependency order: an entity only references entities listed before it (import and export follow it).
CORE_ENTITY_NAMES = (
    "certificates",
    "ca_certificates",
    "snis",
    "services",
    "routes",
    "consumers",
    "upstreams",
    "targets",
    "plugins",
)


class EntityRegistry:
    """The entity schemas a node knows: the core ones plus those its enabled plugins own."""

    def __init__(
        self,
        resolve_plugin_config: ConfigResolver,
        plugin_entities: Iterable[EntitySchema] = (),
        plugin_scope_rules: Callable[[str], dict[str, bool]] | None = None,
    ) -> None:
        core = [
            CERTIFICATES,
            CA_CERTIFICATES,
            SNIS,
            SERVICES,
            ROUTES,
            CONSUMERS,
            UPSTREAMS,
            TARGETS,
            plugins_schema(resolve_plugin_config, plugin_scope_rules),
        ]
        self._schemas: dict[str, EntitySchema] = {s.name: s for s in core}
        for schema in plugin_entities:
            self._schemas[schema.name] = schema

    def __getitem__(self, name: str) -> EntitySchema:
        return self._schemas[name]

    def __contains__(self, name: object) -> bool:
        return name in self._schemas

    def __iter__(self) -> Iterator[EntitySchema]:
        """Schemas in dependency order (referenced entities first)."""
        return iter(self._schemas.values())

    def get(self, name: str) -> EntitySchema | None:
        return self._schemas.get(name)

    def names(self) -> list[str]:
        return list(self._schemas)

    def referencing(self, name: str) -> list[tuple[EntitySchema, str]]:
        """Every (schema, field) whose foreign key points at entity `name`."""
        out: list[tuple[EntitySchema, str]] = []
        for schema in self._schemas.values():
            for field_name, field in schema.foreign_keys().items():
                if field.reference == name:
                    out.append((schema, field_name))
        return out
