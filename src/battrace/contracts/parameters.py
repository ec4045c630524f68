"""Contract template parameters: their declaration, validation into canonical values, and JSON Schema.

Validation is written out here rather than delegated to ``jsonschema`` because every error must name the one
parameter at fault in words an operator understands, and because Python callers may pass ``date`` objects.
``json_schema`` describes the same rules for API clients; a test keeps the two in agreement.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal, cast, get_args

from battrace.errors import InvalidInput

ParameterType = Literal["string", "integer", "number", "boolean", "date", "array"]
PARAMETER_TYPES: frozenset[str] = frozenset(get_args(ParameterType))
MAX_STRING_LENGTH = 500
MAX_ARRAY_ITEMS = 50
# Line breaks and other control characters would let a value change the block structure of a clause
# (a new paragraph or list item), so they are refused; U+2028/U+2029 are line breaks to many renderers.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_CONTROL_PATTERN = "^[^\\x00-\\x1f\\x7f\\u2028\\u2029]*$"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SPEC_KEYS = frozenset(
    {"name", "type", "required", "default", "description"}
    | {"enum", "minimum", "maximum", "pattern", "min_items"}
)


class TemplateLibraryError(RuntimeError):
    """The shipped template library is inconsistent: a packaging bug, never the caller's fault."""


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: ParameterType
    description: str
    required: bool = True
    default: Any = None  # canonical value; None only when required
    enum: tuple[str, ...] | None = None  # strings and array items
    minimum: float | None = None  # integers and numbers
    maximum: float | None = None
    pattern: str | None = None  # strings and array items (re.fullmatch)
    min_items: int = 0  # arrays

    def with_default(self, value: Any) -> ParameterSpec:
        """The same parameter, made optional with ``value`` (validated) as its default."""
        return replace(self, required=False, default=canonical_value(self, value))


def parse_spec(raw: Mapping[str, Any], where: str) -> ParameterSpec:
    """A parameter declaration from a clause sidecar file; the declaration itself is checked strictly."""
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        raise TemplateLibraryError(f"{where}: unknown parameter keys {sorted(unknown)}")
    name, kind = raw.get("name"), raw.get("type")
    if not isinstance(name, str) or not _NAME.match(name):
        raise TemplateLibraryError(f"{where}: parameter name {name!r} is not snake_case")
    if kind not in PARAMETER_TYPES:
        raise TemplateLibraryError(f"{where}: parameter {name} has unknown type {kind!r}")
    required = raw.get("required", True)
    if required == ("default" in raw):
        raise TemplateLibraryError(f"{where}: parameter {name} must be required or have a default, not both")
    enum = raw.get("enum")
    spec = ParameterSpec(
        name=name,
        type=cast(ParameterType, kind),
        description=str(raw.get("description", "")),
        required=bool(required),
        enum=tuple(enum) if enum is not None else None,
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        pattern=raw.get("pattern"),
        min_items=int(raw.get("min_items", 0)),
    )
    if not spec.description:
        raise TemplateLibraryError(f"{where}: parameter {name} has no description")
    if not required:
        try:
            spec = spec.with_default(raw["default"])
        except InvalidInput as error:
            raise TemplateLibraryError(f"{where}: default of {name} is invalid: {error.detail}") from error
    return spec


def validate_parameters(specs: Sequence[ParameterSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical values for every parameter (defaults filled in), keyed in name order.

    The first problem found raises InvalidInput naming the parameter (``extra["parameter"]``); unknown
    names are reported before missing ones, and those before wrong values, so the error is deterministic.
    """
    if not isinstance(values, Mapping):
        raise InvalidInput(f"parameters must be a JSON object, got {type(values).__name__}")
    by_name = {spec.name: spec for spec in specs}
    for name in sorted(values, key=str):
        if name not in by_name:
            raise InvalidInput(f"unknown parameter {name!r}", parameter=str(name))
    for spec in specs:
        if spec.required and spec.name not in values:
            raise InvalidInput(f"missing required parameter {spec.name!r}", parameter=spec.name)
    canonical = {
        spec.name: canonical_value(spec, values[spec.name]) if spec.name in values else spec.default
        for spec in specs
    }
    return dict(sorted(canonical.items()))


def canonical_value(spec: ParameterSpec, value: Any) -> Any:
    """``value`` checked against ``spec`` and brought into its one canonical form (JSON-compatible)."""
    if spec.type == "string":
        return _string(spec, value, spec.name)
    if spec.type == "integer":
        return _bounded(spec, _integer(spec.name, value))
    if spec.type == "number":
        return _bounded(spec, _number(spec.name, value))
    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise _wrong(spec.name, "true or false", value)
        return value
    if spec.type == "date":
        return _date(spec.name, value)
    return _array(spec, value)


def _wrong(name: str, expected: str, value: Any) -> InvalidInput:
    got = type(value).__name__
    return InvalidInput(f"parameter {name!r}: expected {expected}, got {got}", parameter=name)


def _string(spec: ParameterSpec, value: Any, label: str) -> str:
    name = spec.name
    if not isinstance(value, str):
        raise _wrong(name, "a string", value)
    if not value.strip():
        raise InvalidInput(f"parameter {label!r} must not be empty", parameter=name)
    if len(value) > MAX_STRING_LENGTH:
        raise InvalidInput(f"parameter {label!r} exceeds {MAX_STRING_LENGTH} characters", parameter=name)
    if _CONTROL.search(value):
        raise InvalidInput(f"parameter {label!r} contains a line break or control character", parameter=name)
    if spec.enum is not None and value not in spec.enum:
        allowed = list(spec.enum)
        raise InvalidInput(f"parameter {label!r} must be one of {allowed}, got {value!r}", parameter=name)
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        raise InvalidInput(f"parameter {label!r} does not match {spec.pattern}", parameter=name)
    # leading blanks would turn a list item into a code block in Markdown; they carry no meaning anyway
    return value.strip()


def _integer(name: str, value: Any) -> int:
    # bool is an int in Python and must not pass; 30.0 is the integer 30, as in JSON Schema (2020-12 §6.1.1)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(name, "an integer", value)
    return int(value)


def _number(name: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(name, "a number", value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"parameter {name!r} must be a finite number", parameter=name)
        # 5 and 5.0 must render (and hash) the same
        return int(value) if value.is_integer() else value
    return int(value)


def _bounded(spec: ParameterSpec, value: int | float) -> int | float:
    if spec.minimum is not None and value < spec.minimum:
        raise InvalidInput(f"parameter {spec.name!r} must be at least {spec.minimum}", parameter=spec.name)
    if spec.maximum is not None and value > spec.maximum:
        raise InvalidInput(f"parameter {spec.name!r} must be at most {spec.maximum}", parameter=spec.name)
    return value


def _date(name: str, value: Any) -> str:
    if isinstance(value, datetime):  # a datetime is a date subclass, but a contract date has no time
        raise _wrong(name, "a date (YYYY-MM-DD)", value)
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise InvalidInput(f"parameter {name!r}: expected a date YYYY-MM-DD, got {value!r}", parameter=name)
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidInput(f"parameter {name!r}: {value!r} is not a calendar date", parameter=name) from None


def _array(spec: ParameterSpec, value: Any) -> tuple[str, ...]:
    name = spec.name
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise _wrong(name, "an array of strings", value)
    if len(value) < spec.min_items:
        raise InvalidInput(f"parameter {name!r} needs at least {spec.min_items} item(s)", parameter=name)
    if len(value) > MAX_ARRAY_ITEMS:
        raise InvalidInput(f"parameter {name!r} has more than {MAX_ARRAY_ITEMS} items", parameter=name)
    items = tuple(_string(spec, item, f"{name}[{index}]") for index, item in enumerate(value))
    if len(set(items)) != len(items):
        raise InvalidInput(f"parameter {name!r} lists an item twice", parameter=name)
    return items


def json_schema(specs: Sequence[ParameterSpec], title: str) -> dict[str, Any]:
    """JSON Schema (2020-12) of a parameter object; ``date`` objects are a Python-only convenience."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": {spec.name: _property(spec) for spec in specs},
        "required": [spec.name for spec in specs if spec.required],
        "additionalProperties": False,
    }


def _property(spec: ParameterSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": spec.description}
    if spec.type in ("string", "array"):
        schema.update(_string_schema(spec))
    elif spec.type == "date":
        schema.update({"type": "string", "format": "date", "pattern": _ISO_DATE.pattern})
    else:
        schema["type"] = spec.type
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    if spec.type == "array":
        item = {k: schema.pop(k) for k in ("type", "maxLength", "allOf", "enum") if k in schema}
        schema.update(
            {"type": "array", "items": item, "minItems": spec.min_items, "maxItems": MAX_ARRAY_ITEMS,
             "uniqueItems": True}
        )
    if not spec.required:
        schema["default"] = list(spec.default) if isinstance(spec.default, tuple) else spec.default
    return schema


def _string_schema(spec: ParameterSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": MAX_STRING_LENGTH}
    # "not only whitespace" and "no control characters"; a declared pattern must hold as well
    patterns = [_CONTROL_PATTERN, r"\S"]
    if spec.pattern is not None:
        patterns.append(f"^(?:{spec.pattern})$")
    schema["allOf"] = [{"pattern": pattern} for pattern in patterns]
    if spec.enum is not None:
        schema["enum"] = list(spec.enum)
    return schema
