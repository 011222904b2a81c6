"""Finds plugins by Kong name and builds the per-node plugin set from the `plugins` conf key."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any, Final

from sekisho.errors import ConfigError
from sekisho.plugins.base import Plugin
from sekisho.schema import EntitySchema, Record

__all__ = ["BUNDLED", "PluginRegistry"]

# Kong names of the plugins shipped with sekisho; `plugins = bundled` enables all of them.
BUNDLED: Final[tuple[str, ...]] = (
    "correlation-id",
    "cors",
    "key-auth",
    "basic-auth",
    "openid-connect",
    "ip-restriction",
    "acl",
    "rate-limiting",
    "request-transformer",
    "file-log",
)


def _module_name(plugin_name: str) -> str:
    return "sekisho.plugins." + plugin_name.replace("-", "_") + ".handler"


class PluginRegistry:
    """The plugins a node enables, loaded once at start-up."""

    def __init__(self, classes: Iterable[type[Plugin[Any]]]) -> None:
        self._classes: dict[str, type[Plugin[Any]]] = {}
        for cls in classes:
            self._classes[cls.NAME] = cls

    @classmethod
    def load(cls, names: Iterable[str]) -> PluginRegistry:
        """Resolve `plugins` conf entries (`bundled`, `off`, or Kong names) into plugin classes."""
        wanted: list[str] = []
        for name in names:
            if name == "bundled":
                wanted.extend(n for n in BUNDLED if n not in wanted)
            elif name == "off":
                continue
            elif name not in wanted:
                wanted.append(name)
        classes: list[type[Plugin[Any]]] = []
        for name in wanted:
            try:
                module = importlib.import_module(_module_name(name))
            except ModuleNotFoundError as exc:
                if name in BUNDLED and exc.name == _module_name(name):
                    continue  # bundled but not built yet: listed, not loadable
                raise ConfigError("plugins", f"plugin '{name}' is not installed") from exc
            handler = getattr(module, "Handler", None)
            if not (isinstance(handler, type) and issubclass(handler, Plugin)):
                raise ConfigError("plugins", f"plugin '{name}' has no Handler class")
            classes.append(handler)
        return cls(classes)

    def names(self) -> list[str]:
        return sorted(self._classes)

    def get(self, name: str) -> type[Plugin[Any]] | None:
        return self._classes.get(name)

    def config_schema(self, name: str) -> Record | None:
        cls = self._classes.get(name)
        return cls.CONFIG if cls is not None else None

    def scope_rules(self, name: str) -> dict[str, bool]:
        cls = self._classes.get(name)
        if cls is None:
            return {}
        return {"no_consumer": cls.NO_CONSUMER, "no_route": cls.NO_ROUTE, "no_service": cls.NO_SERVICE}

    def entities(self) -> list[EntitySchema]:
        out: list[EntitySchema] = []
        for cls in self._classes.values():
            out.extend(cls.DAOS)
        return out

    def by_priority(self) -> list[type[Plugin[Any]]]:
        """Execution order: higher PRIORITY first (Kong)."""
        return sorted(self._classes.values(), key=lambda c: (-c.PRIORITY, c.NAME))
