"""EDC ``QuerySpec`` and ``Criterion``: parsing plus in-memory evaluation (filter, sort, paginate).

Semantics follow EDC's criterion operators, with these choices (documented because SQL stores differ):
* a criterion on a property the item does not have is false, whatever the operator (SQL ``NULL``);
* ``=``/``!=``/``like`` on a multi-valued property test whether *any* value matches;
* scalars of different JSON types are compared by their text (``"1" = 1``), booleans only equal booleans;
* ``like``/``ilike`` are SQL LIKE: ``%`` is any run of characters, ``_`` one character, matched in full;
* ``<`` ``<=`` ``>`` ``>=`` compare numbers numerically, strings lexicographically (ISO timestamps sort
  correctly), and a number with a numeric string numerically; anything else is false.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from battrace.errors import InvalidInput
from battrace.management import _ld
from battrace.management._ld import Node, edc
from battrace.management.shapes import MAX_LIMIT, Criterion, QuerySpec, SortOrder

T = TypeVar("T")
_QUERY_SPEC = {edc("QuerySpec")}
_CRITERION = {edc("Criterion")}
_ABSENT = object()


def parse_query_spec(body: Any | None) -> QuerySpec:
    """Body of ``POST /v3/<entities>/request``; no body means the default page."""
    if body is None:
        return QuerySpec()
    node = _ld.expand_body(body, "querySpec")
    return query_spec_from_node(node, "querySpec")


def parse_edr_request(body: Any | None) -> QuerySpec:
    """``POST /v3/edrs/request``: a QuerySpec over ``assetId``, ``agreementId``, ``providerId`` …"""
    return parse_query_spec(body)


def query_spec_from_node(node: Node, field: str) -> QuerySpec:
    _ld.check_type(node, _QUERY_SPEC, field)
    offset = _ld.integer(node, edc("offset"), f"{field}.offset", 0)
    if offset < 0:
        raise InvalidInput(f"{field}.offset must be >= 0, got {offset}")
    limit = _ld.integer(node, edc("limit"), f"{field}.limit", QuerySpec.limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"{field}.limit must be between 1 and {MAX_LIMIT}, got {limit}")
    sort_field = _ld.string(node, edc("sortField"), f"{field}.sortField")
    return QuerySpec(
        offset=offset,
        limit=limit,
        sort_field=_ld.expand_name(sort_field) if sort_field else None,
        sort_order=_sort_order(node, f"{field}.sortOrder"),
        filter_expression=criteria_from_nodes(
            _ld.children(node, edc("filterExpression"), f"{field}.filterExpression"),
            f"{field}.filterExpression",
        ),
    )


def _sort_order(node: Node, field: str) -> SortOrder:
    value = _ld.string(node, edc("sortOrder"), field) or "ASC"
    if value.upper() == "ASC":
        return "ASC"
    if value.upper() == "DESC":
        return "DESC"
    raise InvalidInput(f"{field} must be ASC or DESC, got {value!r}")


def criteria_from_nodes(nodes: list[Node], field: str) -> tuple[Criterion, ...]:
    return tuple(criterion_from_node(node, f"{field}[{index}]") for index, node in enumerate(nodes))


def criterion_from_node(node: Node, field: str) -> Criterion:
    _ld.check_type(node, _CRITERION, field)
    left = _ld.required_string(node, edc("operandLeft"), f"{field}.operandLeft")
    operator = _ld.required_string(node, edc("operator"), f"{field}.operator").strip()
    if operator.lower() not in _PREDICATES:
        raise InvalidInput(f"{field}.operator {operator!r} is not supported; expected one of {OPERATORS}")
    if edc("operandRight") not in node:
        raise InvalidInput(f"{field}.operandRight is required")
    right = _ld.plain_values(node[edc("operandRight")])
    if operator.lower() == "in" and not isinstance(right, list):
        right = [right]  # a one-element JSON-LD array expands like a scalar
    return Criterion(operand_left=_ld.expand_name(left), operator=operator.lower(), operand_right=right)


def matches(criterion: Criterion, properties: Mapping[str, Any]) -> bool:
    """EDC criterion semantics over one item's properties (see the module docstring)."""
    predicate = _PREDICATES.get(criterion.operator.lower())
    if predicate is None:
        raise InvalidInput(f"operator {criterion.operator!r} is not supported; expected one of {OPERATORS}")
    value = _lookup(properties, criterion.operand_left)
    if value is _ABSENT:
        return False
    return predicate(_normalise(value), _normalise(criterion.operand_right))


def select(items: Iterable[T], query: QuerySpec, properties_of: Callable[[T], Mapping[str, Any]]) -> list[T]:
    """Filter (all criteria must match), sort (stable; items without the field last), then paginate."""
    kept = [item for item in items if all(matches(c, properties_of(item)) for c in query.filter_expression)]
    if query.sort_field:
        kept = _sorted(kept, query.sort_field, query.sort_order == "DESC", properties_of)
    return kept[query.offset : query.offset + query.limit]


def _sorted(
    items: list[T], field: str, descending: bool, properties_of: Callable[[T], Mapping[str, Any]]
) -> list[T]:
    keyed = [(_lookup(properties_of(item), field), item) for item in items]
    present = [(value, item) for value, item in keyed if value is not _ABSENT]
    missing = [item for value, item in keyed if value is _ABSENT]
    present.sort(key=lambda pair: _sort_key(_normalise(pair[0])), reverse=descending)
    return [item for _, item in present] + missing


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (2, int(value))
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (3, json.dumps(value, sort_keys=True, default=str))


def _lookup(properties: Mapping[str, Any], name: str) -> Any:
    """Find ``name`` as given, expanded, or as the EDC short / ``edc:`` name (callers store either)."""
    expanded = _ld.expand_name(name)
    candidates = [name, expanded]
    if expanded.startswith(_ld.PREFIXES["edc"]):
        local = expanded[len(_ld.PREFIXES["edc"]) :]
        candidates += [local, f"edc:{local}"]
    for candidate in candidates:
        if candidate in properties:
            return properties[candidate]
    return _ABSENT


def _normalise(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1 and ("@id" in value or "@value" in value):
        return next(iter(value.values()))
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        # a boolean equals only a boolean or its JSON text ("true"/"false")
        if isinstance(left, bool) and isinstance(right, bool):
            return left is right
        flag, other = (left, right) if isinstance(left, bool) else (right, left)
        return isinstance(other, str) and other == _text(flag)
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return bool(left == right)
    return _text(left) == _text(right)


def _any(value: Any, test: Callable[[Any], bool]) -> bool:
    return any(test(item) for item in value) if isinstance(value, list) else test(value)


def _eq(value: Any, right: Any) -> bool:
    if isinstance(value, list) and not isinstance(right, list):
        return any(_equal(item, right) for item in value)
    return _equal(value, right)


def _in(value: Any, right: Any) -> bool:
    options = right if isinstance(right, list) else [right]
    return _any(value, lambda item: any(_equal(item, option) for option in options))


def _like(value: Any, pattern: Any, flags: int = 0) -> bool:
    if not isinstance(pattern, str):
        return False
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    compiled = re.compile(regex, flags | re.DOTALL)
    return _any(value, lambda item: compiled.fullmatch(_text(item)) is not None)


def _contains(value: Any, right: Any) -> bool:
    if isinstance(value, list):
        return any(_equal(item, right) for item in value)
    return isinstance(value, str) and isinstance(right, str) and right in value


def _compare(value: Any, right: Any) -> int | None:
    if (_is_number(value) and isinstance(right, str)) or (isinstance(value, str) and _is_number(right)):
        try:
            value, right = float(value), float(right)
        except ValueError:
            return None
    if (_is_number(value) and _is_number(right)) or (isinstance(value, str) and isinstance(right, str)):
        return int(value > right) - int(value < right)
    return None


def _ordered(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def predicate(value: Any, right: Any) -> bool:
        return _any(value, lambda item: (result := _compare(item, right)) is not None and test(result))

    return predicate


_PREDICATES: dict[str, Callable[[Any, Any], bool]] = {
    "=": _eq,
    "!=": lambda value, right: not _eq(value, right),
    "in": _in,
    "like": _like,
    "ilike": lambda value, right: _like(value, right, re.IGNORECASE),
    "contains": _contains,
    "<": _ordered(lambda r: r < 0),
    "<=": _ordered(lambda r: r <= 0),
    ">": _ordered(lambda r: r > 0),
    ">=": _ordered(lambda r: r >= 0),
}
OPERATORS = tuple(_PREDICATES)
