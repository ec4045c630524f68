"""ODRL 2.2 operators on plain values (battrace.policy.compare)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from battrace.policy.compare import Status, compare

T = Status.SATISFIED
F = Status.UNSATISFIED


@pytest.mark.parametrize(
    ("operator", "actual", "right", "expected"),
    [
        ("eq", "a", "a", T),
        ("eq", "a", "b", F),
        ("eq", 3, 3.0, T),
        ("neq", "a", "b", T),
        ("neq", "a", "a", F),
        ("gt", 5, 3, T),
        ("gt", 3, 3, F),
        ("gteq", 3, 3, T),
        ("gteq", 2, 3, F),
        ("lt", 2, 3, T),
        ("lt", 3, 3, F),
        ("lteq", 3, 3, T),
        ("lteq", 4, 3, F),
        ("lt", "apple", "banana", T),
        ("isAnyOf", "b", ["a", "b"], T),
        ("isAnyOf", ["x", "b"], ["a", "b"], T),
        ("isAnyOf", ["x"], ["a", "b"], F),
        ("isNoneOf", ["x"], ["a", "b"], T),
        ("isNoneOf", ["x", "a"], ["a", "b"], F),
        ("isAllOf", ["a", "b", "c"], ["a", "b"], T),
        ("isAllOf", ["a"], ["a", "b"], F),
        ("isPartOf", ["a"], ["a", "b"], T),
        ("isPartOf", ["a", "z"], ["a", "b"], F),
        ("hasPart", ["a", "b"], ["b"], T),
        ("hasPart", ["a"], ["b"], F),
        ("isA", ["urn:class:A", "urn:class:B"], "urn:class:B", T),
        ("isA", "urn:class:A", "urn:class:B", F),
        ("eq", ["gold"], "gold", T),
        ("eq", ["gold", "silver"], "gold", F),
    ],
)
def test_operator_semantics(operator: str, actual: Any, right: Any, expected: Status) -> None:
    assert compare(operator, actual, right).status is expected


def test_datetimes_compare_as_instants_not_strings() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    # 13:00+02:00 is 11:00Z, which is before now although the string sorts after.
    assert compare("lt", now, "2026-01-01T13:00:00+02:00").status is F
    assert compare("lteq", now, "2026-01-01T12:00:00Z").status is T
    assert compare("gt", "2026-01-02", "2026-01-01T23:59:59Z").status is T


def test_date_without_offset_is_read_as_utc() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert compare("lt", now, "2026-01-01T12:30:00").status is T


@pytest.mark.parametrize(
    ("operator", "actual", "right"),
    [
        ("gt", 5, "three"),
        ("eq", 6, "6"),
        ("lt", ["a"], "b"),
        ("gt", True, False),
        ("lt", datetime(2026, 1, 1, tzinfo=UTC), "x"),
    ],
)
def test_type_mismatch_is_unsatisfied_with_a_reason(operator: str, actual: Any, right: Any) -> None:
    outcome = compare(operator, actual, right)
    assert outcome.status is F
    assert "type mismatch" in outcome.detail


def test_case_insensitive_only_when_asked() -> None:
    assert compare("eq", "Active", "active").status is F
    assert compare("eq", "Active", "active", case_insensitive=True).status is T
    assert compare("isAnyOf", "bpnl000000000001", ["BPNL000000000001"], case_insensitive=True).status is T


def test_unsupported_operator_is_an_error() -> None:
    assert compare("term-lteq", 1, 2).status is Status.ERROR
