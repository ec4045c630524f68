"""ODRL 2.2 operator semantics on plain JSON values, never raising on a type mismatch.

A mismatch (a number against a string, a list where an order is needed) is an *unsatisfied*
outcome with a reason, so a hostile or sloppy policy cannot turn evaluation into a 500.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any


class Status(enum.Enum):
    SATISFIED = "satisfied"
    UNSATISFIED = "not satisfied"
    # Holds because the consumer accepts it by agreeing, not because anything was checked.
    CONTRACTUAL = "accepted as contractual term"
    # Cannot be evaluated (unknown operand, invalid profile value): always denies.
    ERROR = "denied"


@dataclass(frozen=True)
class Outcome:
    status: Status
    detail: str


class MissingValue(LookupError):
    """A resolver has no value for the caller (e.g. a claim was not presented)."""


def satisfied(ok: bool, detail: str) -> Outcome:
    return Outcome(Status.SATISFIED if ok else Status.UNSATISFIED, detail)


def compare(operator: str, actual: Any, right: Any, *, case_insensitive: bool = False) -> Outcome:
    """Evaluate ``actual <operator> right``; the detail names the caller's actual value."""
    handler = _HANDLERS.get(operator)
    if handler is None:
        return Outcome(Status.ERROR, f"operator {operator} is not supported")
    if isinstance(actual, dict) or isinstance(right, dict):
        return Outcome(Status.UNSATISFIED, f"type mismatch: cannot apply {operator} to an object")
    result = handler(actual, right, case_insensitive)
    if isinstance(result, str):
        return Outcome(Status.UNSATISFIED, f"type mismatch: {result} (caller has {fmt(actual)})")
    return satisfied(result, f"caller has {fmt(actual)}")


def fmt(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def as_datetime(value: Any) -> datetime | None:
    """ISO 8601 date or date-time; a value without offset is read as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# ---- scalar comparison ---------------------------------------------------------------------------

_Pair = tuple[Any, Any]


def _pair(actual: Any, right: Any, ci: bool) -> _Pair | str:
    """Coerce two scalars to a comparable pair, or say why they are not comparable."""
    if isinstance(actual, datetime) or (isinstance(actual, str) and isinstance(right, str)):
        left_dt, right_dt = as_datetime(actual), as_datetime(right)
        if left_dt is not None and right_dt is not None:
            return left_dt, right_dt
        if isinstance(actual, datetime):
            return f"{fmt(right)} is not an ISO 8601 date-time"
    if _is_number(actual) and _is_number(right):
        return actual, right
    if isinstance(actual, bool) and isinstance(right, bool):
        return actual, right
    if isinstance(actual, str) and isinstance(right, str):
        return (actual.casefold(), right.casefold()) if ci else (actual, right)
    return f"{type(actual).__name__} vs {type(right).__name__}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any, bool], bool | str]:
    def handler(actual: Any, right: Any, ci: bool) -> bool | str:
        if isinstance(actual, list) or isinstance(right, list):
            return "an ordering operator needs single values, not a list"
        pair = _pair(actual, right, ci)
        if isinstance(pair, str):
            return pair
        if isinstance(pair[0], bool):
            return "booleans have no order"
        return test(*pair)

    return handler


def _eq(actual: Any, right: Any, ci: bool) -> bool | str:
    if isinstance(actual, list) or isinstance(right, list):
        # A list compared with eq is a set equality (EDC BusinessPartnerGroup semantics).
        return _members(actual, ci) == _members(right, ci)
    pair = _pair(actual, right, ci)
    if isinstance(pair, str):
        return pair
    return bool(pair[0] == pair[1])


def _neq(actual: Any, right: Any, ci: bool) -> bool | str:
    result = _eq(actual, right, ci)
    return result if isinstance(result, str) else not result


# ---- set operators -------------------------------------------------------------------------------


def _members(value: Any, ci: bool) -> frozenset[str]:
    items = value if isinstance(value, list) else [value]
    return frozenset(_item_key(item, ci) for item in items)


def _item_key(item: Any, ci: bool) -> str:
    if isinstance(item, str):
        return "s:" + (item.casefold() if ci else item)
    if _is_number(item):
        return f"n:{float(item)!r}"
    return "j:" + json.dumps(item, sort_keys=True, default=str)


def _is_any_of(actual: Any, right: Any, ci: bool) -> bool | str:
    return bool(_members(actual, ci) & _members(right, ci))


def _is_none_of(actual: Any, right: Any, ci: bool) -> bool | str:
    return not _members(actual, ci) & _members(right, ci)


def _is_all_of(actual: Any, right: Any, ci: bool) -> bool | str:
    # ODRL 2.2: the actual value contains every member of the right operand.
    return _members(right, ci) <= _members(actual, ci)


def _is_part_of(actual: Any, right: Any, ci: bool) -> bool | str:
    return _members(actual, ci) <= _members(right, ci)


def _is_a(actual: Any, right: Any, ci: bool) -> bool | str:
    # Without a class hierarchy, "is an instance of" can only mean: one of the actual's types is it.
    if isinstance(right, list):
        return "isA needs a single class IRI"
    return _item_key(right, ci) in _members(actual, ci)


_HANDLERS: dict[str, Callable[[Any, Any, bool], bool | str]] = {
    "eq": _eq,
    "neq": _neq,
    "gt": _ordered(lambda a, b: a > b),
    "gteq": _ordered(lambda a, b: a >= b),
    "lt": _ordered(lambda a, b: a < b),
    "lteq": _ordered(lambda a, b: a <= b),
    "isAnyOf": _is_any_of,
    "isNoneOf": _is_none_of,
    "isAllOf": _is_all_of,
    "isPartOf": _is_part_of,
    "hasPart": _is_all_of,
    "isA": _is_a,
}
