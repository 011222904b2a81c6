"""Field types of the schema language, validated with Kong's messages.

Every field validates a non-null value and returns `(value, error)`, where `error` is `None`, a message,
or a nested structure (dict for records and maps, list with `None` holes for arrays), exactly the
shape Kong puts in an error's `fields`.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final

__all__ = [
    "MISSING",
    "Array",
    "Boolean",
    "Field",
    "Foreign",
    "Integer",
    "Map",
    "Number",
    "Record",
    "Set",
    "String",
    "Validator",
    "not_supported",
]

Validator = Callable[[Any], "str | None"]
"""A check on an already type-correct value: returns an error message, or None when the value is fine."""

REQUIRED_MISSING: Final = "required field missing"
UNKNOWN_FIELD: Final = "unknown field"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class Field:
    """Base of all field types."""

    kind: ClassVar[str] = "any"
    article: ClassVar[str] = "a"

    def __init__(
        self,
        *,
        required: bool = False,
        default: Any = MISSING,
        description: str = "",
        unique: bool = False,
        auto: bool = False,
        one_of: Sequence[Any] | None = None,
        validators: Iterable[Validator] = (),
        immutable: bool = False,
        encrypted: bool = False,
        referenceable: bool = False,
        secret: bool = False,
        deprecated: str | None = None,
        extra_description: Mapping[str, Any] | None = None,
    ) -> None:
        self.required = required
        self.default = default
        self.description = description
        self.unique = unique
        self.auto = auto
        self.one_of = list(one_of) if one_of is not None else None
        self.validators = tuple(validators)
        self.immutable = immutable
        self.encrypted = encrypted
        self.referenceable = referenceable
        self.secret = secret
        self.deprecated = deprecated
        self.extra_description = dict(extra_description or {})

    # -- validation ---------------------------------------------------------------------------------
    def check_type(self, value: Any) -> tuple[Any, Any]:
        """Return the value normalized to this type, or an error."""
        return value, None

    def validate(self, value: Any) -> tuple[Any, Any]:
        """Validate a non-null value: type first, then `one_of`, then validators (first error wins)."""
        value, err = self.check_type(value)
        if err is not None:
            return value, err
        if self.one_of is not None and value not in self.one_of:
            return value, "expected one of: " + ", ".join(str(v) for v in self.one_of)
        for check in self.validators:
            msg = check(value)
            if msg is not None:
                return value, msg
        return value, None

    def default_value(self) -> Any:
        """The value a missing field takes on insert (None when it has no default)."""
        if self.default is MISSING:
            return None
        return copy.deepcopy(self.default)

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING

    def coerce_form(self, value: Any) -> Any:
        """Convert a form-urlencoded string (or list of them) into this field's type, best effort."""
        return value

    # -- description --------------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.required:
            out["required"] = True
        if self.has_default:
            out["default"] = self.default
        if self.unique:
            out["unique"] = True
        if self.auto:
            out["auto"] = True
        if self.one_of is not None:
            out["one_of"] = self.one_of
        if self.immutable:
            out["immutable"] = True
        if self.encrypted:
            out["encrypted"] = True
        if self.referenceable:
            out["referenceable"] = True
        if self.description:
            out["description"] = self.description
        if self.deprecated:
            out["deprecation"] = {"message": self.deprecated}
        out.update(self.extra_description)
        return out

    def type_error(self) -> str:
        return f"expected {self.article} {self.kind}"


class String(Field):
    kind = "string"

    def __init__(
        self,
        *,
        len_min: int | None = None,
        len_max: int | None = None,
        starts_with: str | None = None,
        match: str | None = None,
        match_message: str | None = None,
        uuid: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.len_min = len_min
        self.len_max = len_max
        self.starts_with = starts_with
        self.match = re.compile(match) if match is not None else None
        self.match_message = match_message
        self.uuid = uuid

    def check_type(self, value: Any) -> tuple[Any, Any]:
        if not isinstance(value, str):
            return value, self.type_error()
        if self.uuid and not _is_uuid(value):
            return value, "expected a valid UUID"
        if self.len_min is not None and len(value) < self.len_min:
            return value, f"length must be at least {self.len_min}"
        if self.len_max is not None and len(value) > self.len_max:
            return value, f"length must be at most {self.len_max}"
        if self.starts_with is not None and not value.startswith(self.starts_with):
            return value, f"should start with: {self.starts_with}"
        if self.match is not None and not self.match.search(value):
            return value, self.match_message or f"invalid value: {value}"
        return value, None

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.uuid:
            out["uuid"] = True
        if self.len_min is not None:
            out["len_min"] = self.len_min
        if self.len_max is not None:
            out["len_max"] = self.len_max
        if self.starts_with is not None:
            out["starts_with"] = self.starts_with
        return out

    def coerce_form(self, value: Any) -> Any:
        if isinstance(value, list) and len(value) == 1:
            return value[0]
        return value


class Integer(Field):
    kind = "integer"
    article = "an"

    def __init__(self, *, between: tuple[int, int] | None = None, timestamp: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.between = between
        self.timestamp = timestamp

    def check_type(self, value: Any) -> tuple[Any, Any]:
        if isinstance(value, bool):
            return value, self.type_error()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            return value, self.type_error()
        if self.between is not None and not (self.between[0] <= value <= self.between[1]):
            return value, f"value should be between {self.between[0]} and {self.between[1]}"
        return value, None

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.between is not None:
            out["between"] = list(self.between)
        if self.timestamp:
            out["timestamp"] = True
        return out

    def coerce_form(self, value: Any) -> Any:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                try:
                    as_float = float(value)
                except ValueError:
                    return value
                return int(as_float) if as_float.is_integer() else as_float
        return value


class Number(Field):
    kind = "number"

    def __init__(self, *, between: tuple[float, float] | None = None, gt: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.between = between
        self.gt = gt

    def check_type(self, value: Any) -> tuple[Any, Any]:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return value, self.type_error()
        if self.between is not None and not (self.between[0] <= value <= self.between[1]):
            return value, f"value should be between {_num(self.between[0])} and {_num(self.between[1])}"
        if self.gt is not None and not value > self.gt:
            return value, f"value must be greater than {_num(self.gt)}"
        return value, None

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.between is not None:
            out["between"] = list(self.between)
        if self.gt is not None:
            out["gt"] = self.gt
        return out

    def coerce_form(self, value: Any) -> Any:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, str):
            try:
                as_float = float(value)
            except ValueError:
                return value
            return int(as_float) if as_float.is_integer() and "." not in value else as_float
        return value


class Boolean(Field):
    kind = "boolean"

    def check_type(self, value: Any) -> tuple[Any, Any]:
        if not isinstance(value, bool):
            return value, self.type_error()
        return value, None

    def coerce_form(self, value: Any) -> Any:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, str):
            lowered = value.lower()
            if lowered == "true":
                return True
            if lowered == "false":
                return False
        return value


class Array(Field):
    kind = "array"
    article = "an"

    def __init__(
        self, elements: Field, *, len_min: int | None = None, len_max: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.elements = elements
        self.len_min = len_min
        self.len_max = len_max

    def check_type(self, value: Any) -> tuple[Any, Any]:
        if isinstance(value, dict) and not value:
            value = []  # an empty JSON object is how some clients spell an empty array (cjson does too)
        if not isinstance(value, list):
            return value, self.type_error()
        if self.len_min is not None and len(value) < self.len_min:
            return value, f"length must be at least {self.len_min}"
        if self.len_max is not None and len(value) > self.len_max:
            return value, f"length must be at most {self.len_max}"
        out: list[Any] = []
        errors: list[Any] = []
        failed = False
        for item in value:
            if item is None:
                out.append(None)
                errors.append(REQUIRED_MISSING)
                failed = True
                continue
            normalized, err = self.elements.validate(item)
            out.append(normalized)
            errors.append(err)
            failed = failed or err is not None
        if failed:
            while errors and errors[-1] is None:
                errors.pop()
            return out, errors
        return self._finish(out), None

    def _finish(self, items: list[Any]) -> list[Any]:
        return items

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["elements"] = self.elements.describe()
        if self.len_min is not None:
            out["len_min"] = self.len_min
        if self.len_max is not None:
            out["len_max"] = self.len_max
        return out

    def coerce_form(self, value: Any) -> Any:
        if isinstance(value, dict):
            # `hosts[1]=a&hosts[2]=b` arrives as {"1": "a", "2": "b"}: Kong's 1-based form arrays
            try:
                ordered = [value[k] for k in sorted(value, key=int)]
            except (TypeError, ValueError):
                return value
            value = ordered
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [self.elements.coerce_form(v) for v in value]
        return value


class Set(Array):
    kind = "set"
    article = "a"

    def _finish(self, items: list[Any]) -> list[Any]:
        seen: list[Any] = []
        for item in items:
            if item not in seen:
                seen.append(item)
        return seen


class Map(Field):
    kind = "map"

    def __init__(self, keys: Field, values: Field, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = keys
        self.values = values

    def check_type(self, value: Any) -> tuple[Any, Any]:
        if not isinstance(value, dict):
            return value, self.type_error()
        out: dict[Any, Any] = {}
        errors: dict[str, Any] = {}
        for key, item in value.items():
            key_norm, key_err = self.keys.validate(key)
            if key_err is not None:
                errors[str(key)] = key_err
                continue
            if item is None:
                errors[str(key)] = REQUIRED_MISSING
                continue
            item_norm, item_err = self.values.validate(item)
            if item_err is not None:
                errors[str(key)] = item_err
            out[key_norm] = item_norm
        return out, (errors or None)

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["keys"] = self.keys.describe()
        out["values"] = self.values.describe()
        return out

    def coerce_form(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.values.coerce_form(v) for k, v in value.items()}
        return value


class Record(Field):
    """A fixed set of named fields; validates missing ones with their defaults, unknown ones as errors."""

    kind = "record"

    def __init__(
        self,
        fields: Mapping[str, Field],
        *,
        checks: Iterable[Callable[[dict[str, Any]], dict[str, Any] | None]] = (),
        renamed: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.fields: dict[str, Field] = dict(fields)
        self.checks = tuple(checks)
        # Other spellings accepted on input (e.g. Kong 3.x names of 2.8 fields): alias -> field name.
        self.renamed: dict[str, str] = dict(renamed or {})

    def check_type(self, value: Any) -> tuple[Any, Any]:
        if not isinstance(value, dict):
            return value, self.type_error()
        return self.process(value)

    def process(self, data: Mapping[str, Any], existing: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
        """Validate `data`; with `existing`, missing keys keep existing values (PATCH) and records merge."""
        if self.renamed and any(alias in data for alias in self.renamed):
            data = _apply_renames(data, self.renamed)
        out: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name in data:
                value = data[name]
                if value is None:
                    if field.required:
                        errors[name] = REQUIRED_MISSING
                    out[name] = None
                    continue
                if existing is not None and isinstance(field, Record) and isinstance(value, dict):
                    base = existing.get(name)
                    normalized, err = field.process(value, base) if isinstance(base, dict) else field.validate(value)
                else:
                    normalized, err = field.validate(value)
                out[name] = normalized
                if err is not None:
                    errors[name] = err
            elif existing is not None and name in existing:
                out[name] = copy.deepcopy(existing[name])
            else:
                if isinstance(field, Record) and not field.has_default and not field.required:
                    normalized, err = field.process({})
                    out[name] = normalized
                    if err is not None:
                        errors[name] = err
                    continue
                out[name] = field.default_value()
                if field.required and out[name] is None:
                    errors[name] = REQUIRED_MISSING
        for name in data:
            if name not in self.fields:
                errors[str(name)] = UNKNOWN_FIELD
        if not errors:
            for check in self.checks:
                found = check(out)
                if found:
                    errors.update(found)
        return out, (errors or None)

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["fields"] = [{name: field.describe()} for name, field in self.fields.items()]
        return out

    def coerce_form(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            field = self.fields.get(key)
            out[key] = field.coerce_form(item) if field is not None and item is not None else item
        return out


class Foreign(Field):
    """A reference to another entity, stored as `{"id": <uuid>}`."""

    kind = "foreign"

    def __init__(self, reference: str, *, on_delete: str = "restrict", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reference = reference
        self.on_delete = on_delete

    def check_type(self, value: Any) -> tuple[Any, Any]:
        if not isinstance(value, dict):
            return value, "expected a record"
        unknown = {k: UNKNOWN_FIELD for k in value if k != "id"}
        if unknown:
            return value, unknown
        ident = value.get("id")
        if ident is None:
            return value, {"id": REQUIRED_MISSING}
        if not isinstance(ident, str) or not _is_uuid(ident):
            return value, {"id": "expected a valid UUID"}
        return {"id": ident}, None

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["reference"] = self.reference
        if self.on_delete != "restrict":
            out["on_delete"] = self.on_delete
        return out

    def coerce_form(self, value: Any) -> Any:
        if isinstance(value, str):
            return {"id": value}
        return value


def _apply_renames(data: Mapping[str, Any], renamed: Mapping[str, str]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in renamed}
    for alias, target in renamed.items():
        if alias in data and target not in data:
            out[target] = data[alias]
    return out


def not_supported(reason: str, default: Any = None) -> Validator:
    """A validator for a Kong field sekisho accepts only at its default: anything else is refused clearly."""

    def check(value: Any) -> str | None:
        return None if value == default else f"not supported by sekisho: {reason}"

    return check


_UUID_RE: Final = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _is_uuid(value: str) -> bool:
    return _UUID_RE.match(value) is not None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
