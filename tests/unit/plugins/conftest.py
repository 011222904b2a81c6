from __future__ import annotations

import pytest

from sekisho.entities import EntityRegistry
from sekisho.plugins.registry import PluginRegistry


@pytest.fixture(scope="session")
def plugins() -> PluginRegistry:
    return PluginRegistry.load(["bundled"])


@pytest.fixture(scope="session")
def registry(plugins: PluginRegistry) -> EntityRegistry:
    return EntityRegistry(plugins.config_schema, plugins.entities(), plugins.scope_rules)
