from __future__ import annotations

from typing import Any

from sekisho.runtime.compact import compact_rows


def _route(index: int) -> dict[str, Any]:
    # Built from parts so equal strings are distinct objects, like rows decoded one by one.
    return {
        "".join(["na", "me"]): f"route-{index}",
        "".join(["proto", "cols"]): ["".join(["ht", "tp"]), "".join(["ht", "tps"])],
        "service": {"id": "".join(["svc-", "1"])},
        "methods": None,
        "regex_priority": 0,
        "strip_path": False,
        "description": "x" * 100 + str(index),
    }


def test_rows_are_replaced_by_equal_copies() -> None:
    rows = {"routes": [_route(1), _route(2)], "services": [{"id": "svc-1", "host": "a"}]}
    original_first = rows["routes"][0]
    expected = {"routes": [_route(1), _route(2)], "services": [{"id": "svc-1", "host": "a"}]}
    compacted = compact_rows(rows)
    assert compacted is rows
    assert compacted == expected
    assert compacted["routes"][0] is not original_first
    assert compacted["routes"][0]["protocols"] is not original_first["protocols"]


def test_field_names_and_short_values_are_shared_across_rows() -> None:
    first, second = compact_rows({"routes": [_route(1), _route(2)]})["routes"]
    first_keys = {key: key for key in first}
    for key in second:
        assert key is first_keys[key]
    assert first["protocols"][0] is second["protocols"][0]
    assert first["service"]["id"] is second["service"]["id"]
    assert first["description"] is not second["description"]


def test_long_strings_are_left_alone() -> None:
    long_value = "y" * 65
    compacted = compact_rows({"certificates": [{"cert": long_value}]})
    assert compacted["certificates"][0]["cert"] is long_value
