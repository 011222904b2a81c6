"""Kong's form decoding (kong/api/arguments.lua), without a server."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, strategies as st

from sekisho.admin.forms import MAX_FORM_FIELDS, FormTooLarge, decode_form, empty_strings_to_null


def test_dotted_keys_nest_records() -> None:
    assert decode_form([("config.key_names", "apikey"), ("config.hide_credentials", "true")]) == {
        "config": {"key_names": "apikey", "hide_credentials": "true"}
    }


def test_bracket_arrays_append_and_index() -> None:
    assert decode_form([("paths[]", "/a"), ("paths[]", "/b")]) == {"paths": ["/a", "/b"]}
    assert decode_form([("hosts[2]", "b.test"), ("hosts[1]", "a.test")]) == {"hosts": ["a.test", "b.test"]}


def test_repeated_keys_collect_a_list() -> None:
    assert decode_form([("methods", "GET"), ("methods", "POST")]) == {"methods": ["GET", "POST"]}


def test_records_inside_arrays() -> None:
    pairs = [("sources[1].ip", "10.0.0.1"), ("sources[1].port", "80"), ("sources[2].ip", "10.0.0.2")]
    assert decode_form(pairs) == {"sources": [{"ip": "10.0.0.1", "port": "80"}, {"ip": "10.0.0.2"}]}


def test_foreign_key_by_endpoint_key() -> None:
    assert decode_form([("service.name", "example")]) == {"service": {"name": "example"}}


def test_empty_values_mean_null() -> None:
    decoded = empty_strings_to_null(decode_form([("name", ""), ("config.minute", ""), ("tags[]", "")]))
    assert decoded == {"name": None, "config": {"minute": None}, "tags": [None]}


def test_too_many_fields_are_refused() -> None:
    with pytest.raises(FormTooLarge):
        decode_form([(f"k{i}", "v") for i in range(MAX_FORM_FIELDS + 1)])
    with pytest.raises(FormTooLarge):
        decode_form([(f"k[{MAX_FORM_FIELDS + 1}]", "v")])


_names = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
_values = st.text(alphabet="abcxyz0123/-.", min_size=1, max_size=8)
_records = st.recursive(
    st.dictionaries(_names, _values, min_size=1, max_size=4),
    lambda inner: st.dictionaries(_names, st.one_of(_values, inner), min_size=1, max_size=3),
    max_leaves=12,
)


def _flatten(record: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in record.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            pairs.extend(_flatten(value, name))
        else:
            pairs.append((name, value))
    return pairs


@given(_records)
def test_dotted_keys_rebuild_any_record(record: dict[str, Any]) -> None:
    assert decode_form(_flatten(record)) == record


@given(st.lists(_values, min_size=1, max_size=20), st.randoms())
def test_indexed_arrays_keep_index_order(items: list[str], rnd: Any) -> None:
    pairs = [(f"a[{i}]", v) for i, v in enumerate(items, start=1)]
    rnd.shuffle(pairs)
    assert decode_form(pairs) == {"a": items}
    assert decode_form([("a[]", v) for v in items]) == {"a": items}
