"""Kong's eight-step plugin precedence, resolved by the plan (no sockets)."""

from __future__ import annotations

from typing import Any

import pytest

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.runtime.plan import PluginIndex
from sekisho.schema import Record


class Probe(Plugin[dict[str, Any]]):
    NAME = "probe"
    PRIORITY = 10
    CONFIG = Record({})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        """Implemented so plans see an access phase."""


class Early(Plugin[dict[str, Any]]):
    NAME = "early"
    PRIORITY = 100
    CONFIG = Record({})

    def header_filter(self, kong: PDK, conf: dict[str, Any]) -> None:
        """Implemented so plans see a header_filter phase."""


class Broken(Plugin[dict[str, Any]]):
    NAME = "broken"
    PRIORITY = 5
    CONFIG = Record({})

    def prepare(self, config: Any) -> Any:
        raise ValueError("cannot prepare")


INSTANCES = {"probe": Probe(), "early": Early(), "broken": Broken()}
SCOPES = {
    "R+S+C": ("r", "s", "c"),
    "R+C": ("r", None, "c"),
    "S+C": (None, "s", "c"),
    "R+S": ("r", "s", None),
    "C": (None, None, "c"),
    "R": ("r", None, None),
    "S": (None, "s", None),
    "global": (None, None, None),
}
ORDER = list(SCOPES)


def _row(label: str, scope: tuple[str | None, str | None, str | None], **extra: Any) -> dict[str, Any]:
    route, service, consumer = scope
    return {
        "id": label,
        "name": extra.pop("name", "probe"),
        "route": {"id": route} if route else None,
        "service": {"id": service} if service else None,
        "consumer": {"id": consumer} if consumer else None,
        "config": {"label": label},
        "protocols": extra.pop("protocols", ["http", "https"]),
        "enabled": extra.pop("enabled", True),
    }


@pytest.mark.parametrize("winner", ORDER)
def test_the_most_specific_enabled_scope_wins(winner: str) -> None:
    present = ORDER[ORDER.index(winner) :]
    index = PluginIndex([_row(label, SCOPES[label]) for label in present], INSTANCES)
    entry = index.plan("r", "s", "http").entries[0]
    assert entry.resolve("c") is not None
    assert entry.resolve("c").row["id"] == winner  # type: ignore[union-attr]
    without_consumer = [label for label in present if "C" not in label]
    expected = without_consumer[0] if without_consumer else None
    resolved = entry.resolve(None)
    assert (resolved.row["id"] if resolved else None) == expected


def test_disabled_instances_fall_through_to_the_next_scope() -> None:
    rows = [_row("R", SCOPES["R"], enabled=False), _row("S", SCOPES["S"])]
    plan = PluginIndex(rows, INSTANCES).plan("r", "s", "http")
    assert [p.row["id"] for p in plan.base_collected] == ["S"]


def test_other_routes_and_consumers_do_not_apply() -> None:
    rows = [_row("R", ("other-route", None, None)), _row("C", (None, None, "someone-else"))]
    plan = PluginIndex(rows, INSTANCES).plan("r", "s", "http")
    assert plan.base_collected == ()
    assert plan.entries[0].resolve("c") is None


def test_plans_are_ordered_by_priority_and_know_their_phases() -> None:
    rows = [_row("g1", SCOPES["global"]), _row("g2", SCOPES["global"], name="early")]
    plan = PluginIndex(rows, INSTANCES).plan("r", "s", "http")
    assert [p.name for p in plan.base_collected] == ["early", "probe"]
    assert plan.needs_access
    assert not plan.has_body_filter


def test_protocols_filter_the_plan() -> None:
    rows = [_row("g", SCOPES["global"], protocols=["https"])]
    index = PluginIndex(rows, INSTANCES)
    assert index.plan("r", "s", "http").base_collected == ()
    assert len(index.plan("r", "s", "https").base_collected) == 1


def test_a_config_that_cannot_be_prepared_fails_closed() -> None:
    plan = PluginIndex([_row("b", SCOPES["global"], name="broken")], INSTANCES).plan(None, None, "http")
    (resolved,) = plan.base_collected
    assert resolved.broken
    assert plan.needs_access  # so the pipeline answers 500 instead of skipping the plugin
