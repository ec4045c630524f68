"""EDC criterion semantics (`matches`) and in-memory filter/sort/paginate (`select`)."""

from __future__ import annotations

from typing import Any

import pytest

from battrace.errors import InvalidInput
from battrace.jsonld import DCT_NS, EDC_NS
from battrace.management import Criterion, QuerySpec, matches, parse_query_spec, select

ASSET: dict[str, Any] = {
    EDC_NS + "id": "battery-pass-1",
    EDC_NS + "name": "Battery Passport",
    EDC_NS + "version": 3,
    EDC_NS + "created": "2025-03-01T12:00:00Z",
    EDC_NS + "public": True,
    EDC_NS + "tags": ["battery", "passport"],
    DCT_NS + "type": {"@id": "https://w3id.org/catenax/taxonomy#Submodel"},
}


@pytest.mark.parametrize(
    ("left", "operator", "right", "expected"),
    [
        ("id", "=", "battery-pass-1", True),
        ("edc:id", "=", "battery-pass-1", True),
        (EDC_NS + "id", "=", "battery-pass-1", True),
        ("id", "=", "battery-pass-2", False),
        ("id", "!=", "battery-pass-2", True),
        ("id", "!=", "battery-pass-1", False),
        ("version", "=", "3", True),
        ("version", "=", 3.0, True),
        ("public", "=", "true", True),
        ("public", "=", 1, False),
        ("tags", "=", "passport", True),
        ("tags", "contains", "battery", True),
        ("name", "contains", "Pass", True),
        ("id", "in", ["battery-pass-2", "battery-pass-1"], True),
        ("id", "in", ["x"], False),
        ("id", "in", "battery-pass-1", True),
        ("name", "like", "Battery%", True),
        ("name", "like", "battery%", False),
        ("name", "ilike", "battery%", True),
        ("name", "like", "Battery_Passport", True),
        ("name", "like", "Battery.Passport", False),
        ("name", "like", "%Pass", False),
        ("version", ">", 2, True),
        ("version", ">=", 3, True),
        ("version", "<", "10", True),
        ("version", "<=", 2, False),
        ("created", ">", "2025-01-01T00:00:00Z", True),
        ("created", "<", "2025-01-01T00:00:00Z", False),
        ("name", ">", 5, False),
        ("http://purl.org/dc/terms/type", "=", "https://w3id.org/catenax/taxonomy#Submodel", True),
        ("dct:type", "=", "https://w3id.org/catenax/taxonomy#Submodel", True),
    ],
)
def test_criterion_semantics(left: str, operator: str, right: Any, expected: bool) -> None:
    assert matches(Criterion(left, operator, right), ASSET) is expected


@pytest.mark.parametrize("operator", ["=", "!=", "in", "like", "<", ">", "contains"])
def test_a_missing_property_never_matches(operator: str) -> None:
    assert matches(Criterion("nonexistent", operator, ["x"] if operator == "in" else "x"), ASSET) is False


def test_short_property_names_are_found_by_expanded_operand() -> None:
    edr_entry = {"assetId": "asset-1", "agreementId": "a-1"}
    assert matches(Criterion(EDC_NS + "assetId", "=", "asset-1"), edr_entry)
    assert matches(Criterion("assetId", "=", "asset-1"), edr_entry)


def test_unknown_operator_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not supported"):
        matches(Criterion("id", "~=", "x"), ASSET)


def _items() -> list[dict[str, Any]]:
    return [
        {EDC_NS + "id": "c", EDC_NS + "size": 3, EDC_NS + "kind": "pass"},
        {EDC_NS + "id": "a", EDC_NS + "size": 10, EDC_NS + "kind": "pass"},
        {EDC_NS + "id": "d", EDC_NS + "kind": "twin"},
        {EDC_NS + "id": "b", EDC_NS + "size": 1, EDC_NS + "kind": "pass"},
    ]


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item[EDC_NS + "id"] for item in items]


def test_select_filters_with_every_criterion() -> None:
    query = QuerySpec(
        filter_expression=(Criterion(EDC_NS + "kind", "=", "pass"), Criterion(EDC_NS + "size", ">", 2))
    )
    assert _ids(select(_items(), query, dict)) == ["c", "a"]


def test_select_sorts_numbers_numerically_and_puts_missing_values_last() -> None:
    assert _ids(select(_items(), QuerySpec(sort_field=EDC_NS + "size"), dict)) == ["b", "c", "a", "d"]
    assert _ids(select(_items(), QuerySpec(sort_field=EDC_NS + "size", sort_order="DESC"), dict)) == [
        "a",
        "c",
        "b",
        "d",
    ]


def test_select_paginates_after_sorting() -> None:
    query = QuerySpec(offset=1, limit=2, sort_field=EDC_NS + "id")
    assert _ids(select(_items(), query, dict)) == ["b", "c"]


def test_select_keeps_input_order_without_sort_field() -> None:
    assert _ids(select(_items(), QuerySpec(limit=3), dict)) == ["c", "a", "d"]


def test_select_with_a_parsed_query_spec() -> None:
    query = parse_query_spec(
        {
            "@context": {"@vocab": EDC_NS},
            "@type": "QuerySpec",
            "offset": 0,
            "limit": 10,
            "sortField": "id",
            "sortOrder": "DESC",
            "filterExpression": [{"operandLeft": "edc:kind", "operator": "in", "operandRight": ["pass"]}],
        }
    )
    assert _ids(select(_items(), query, dict)) == ["c", "b", "a"]


def test_select_uses_the_properties_function() -> None:
    objects = [("x", {"assetId": "1"}), ("y", {"assetId": "2"})]
    query = QuerySpec(filter_expression=(Criterion(EDC_NS + "assetId", "=", "2"),))
    assert select(objects, query, lambda pair: pair[1]) == [("y", {"assetId": "2"})]
