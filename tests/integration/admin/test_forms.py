"""Kong's form decoding (kong/api/arguments.lua), without a server."""

from __future__ import annotations

import pytest

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
