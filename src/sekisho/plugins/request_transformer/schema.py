"""Configuration of `request-transformer` (Kong's field names and defaults)."""

from __future__ import annotations

from sekisho.plugins.request_transformer.templates import TemplateError, parse_template
from sekisho.schema import Array, Record, String, Validator, typedefs as t

__all__ = ["CONFIG", "split_pair"]


def split_pair(entry: str) -> tuple[str, str]:
    """`name:value` → (name, value); extra colons after the name are skipped like Kong's `^([^:]+):*(.-)$`."""
    name, _, rest = entry.partition(":")
    return name, rest.lstrip(":")


def _has_value(entry: str) -> str | None:
    name, value = split_pair(entry)
    if not name or not value:
        return f"key '{name}' has no value"
    try:
        parse_template(value)
    except TemplateError as exc:
        return f"value '{value}' is not in supported format, error:{exc}"
    return None


def _header_in_pair(entry: str) -> str | None:
    name, _ = split_pair(entry)
    return None if t.check_header_name(name) is None else f"'{name}' is not a valid header"


def _headers_in_pair(entry: str) -> str | None:
    name, value = split_pair(entry)
    for part in (name, value):
        if t.check_header_name(part) is not None:
            return f"'{part}' is not a valid header"
    return None


def _colon_pair(entry: str) -> str | None:
    return None if ":" in entry and not entry.startswith(":") else f"invalid value: {entry}"


def _strings(description: str, *validators: Validator) -> Array:
    return Array(String(validators=list(validators)), required=True, default=[], description=description)


def _section(verb: str, *, header_validators: tuple[Validator, ...], body_validators: tuple[Validator, ...]) -> Record:
    return Record(
        {
            "body": _strings(f"Body parameters to {verb}.", *body_validators),
            "headers": _strings(f"Headers to {verb}.", *header_validators),
            "querystring": _strings(f"Query-string parameters to {verb}.", *body_validators),
        },
        description=f"What to {verb}.",
    )


_pair: tuple[Validator, ...] = (_has_value,)
_value_headers: tuple[Validator, ...] = (_colon_pair, _header_in_pair, _has_value)

_replace = _section(
    "replace (`name:value`, only when present)", header_validators=_value_headers, body_validators=_pair
)
_replace.fields["uri"] = String(description="New upstream path; may use `$(uri_captures...)` placeholders.")

CONFIG = Record(
    {
        "http_method": String(
            match=r"^[A-Z]+$",
            description=(
                "Change the upstream request method (to GET, HEAD or TRACE: a form body moves to the query string)."
            ),
        ),
        "remove": Record(
            {
                "body": _strings("Body parameter names to remove."),
                "headers": _strings("Header names to remove.", _header_in_pair),
                "querystring": _strings("Query-string parameter names to remove."),
            },
            description="What to remove (names).",
        ),
        "rename": _section(
            "rename (`old:new`)", header_validators=(_colon_pair, _headers_in_pair), body_validators=_pair
        ),
        "replace": _replace,
        "add": _section(
            "add (`name:value`, only when absent)", header_validators=_value_headers, body_validators=_pair
        ),
        "append": _section(
            "append (`name:value`, adding a value)", header_validators=_value_headers, body_validators=_pair
        ),
    }
)
