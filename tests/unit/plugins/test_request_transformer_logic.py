"""request-transformer templates and parameter operations."""

from __future__ import annotations

import pytest

from sekisho.plugins.request_transformer.templates import TemplateError, lookup_in, parse_template
from sekisho.plugins.request_transformer.transform import Operations, Params, apply_operations, parse_entries


def _render_env() -> dict[str, object]:
    return {
        "headers": {"x-api-version": "2"},
        "query_params": {"q": ["a", "b"]},
        "uri_captures": {"id": "42", 0: "42"},
        "shared": {},
    }


def test_templates_look_up_request_values() -> None:
    lookup = lookup_in(_render_env())
    assert parse_template("/v$(headers.x_api_version)/items/$(uri_captures.id)").render(lookup) == "/v2/items/42"
    assert parse_template("$(headers['X-API-Version'])").render(lookup) == "2"
    assert parse_template('$(query_params["q"])-$(uri_captures[0])').render(lookup) == "a-42"
    assert parse_template("$(shared.missing)!").render(lookup) == "!"
    assert parse_template("plain").is_static


@pytest.mark.parametrize("text", ["$(os.getenv('HOME'))", "$(headers.a .. 'x')", "$(require('io'))"])
def test_templates_refuse_code(text: str) -> None:
    with pytest.raises(TemplateError):
        parse_template(text)


def _ops(**kwargs: list[str]) -> Operations:
    return Operations(
        remove=parse_entries(kwargs.get("remove"), names_only=True),
        rename=parse_entries(kwargs.get("rename")),
        replace=parse_entries(kwargs.get("replace")),
        add=parse_entries(kwargs.get("add")),
        append=parse_entries(kwargs.get("append")),
    )


def test_operations_run_in_kongs_order() -> None:
    params: Params = {"drop": "1", "old": "v", "keep": "k", "swap": "x"}
    ops = _ops(
        remove=["drop"],
        rename=["old:new"],
        replace=["swap:y", "absent:z"],
        add=["keep:no", "fresh:yes"],
        append=["keep:2"],
    )
    assert apply_operations(params, ops, lambda t: t.render(lookup_in({})), has_content=True)
    assert params == {"new": "v", "keep": ["k", "2"], "swap": "y", "fresh": "yes"}


def test_without_content_only_add_and_append_apply() -> None:
    params: Params = {}
    ops = _ops(remove=["a"], replace=["b:1"], add=["c:2"], append=["d:3"])
    assert apply_operations(params, ops, lambda t: t.render(lookup_in({})), has_content=False)
    assert params == {"c": "2", "d": ["3"]}
    assert not apply_operations({}, _ops(remove=["a"]), lambda t: "", has_content=True)
