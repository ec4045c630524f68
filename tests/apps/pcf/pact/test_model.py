"""The v3 ProductFootprint model: exact wire names, decimal strings, and the spec's rules on values."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from battrace.apps.pcf.pact.model import ProductFootprint, parse_footprint
from battrace.errors import InvalidInput

from .conftest import FOOTPRINTS, SHARED_PCF, schema_errors


@pytest.mark.parametrize("raw", FOOTPRINTS, ids=lambda pf: pf["productNameCompany"])
def test_a_footprint_round_trips_to_the_same_json(raw: dict[str, Any]) -> None:
    assert parse_footprint(raw).to_json() == raw


@pytest.mark.parametrize("raw", FOOTPRINTS, ids=lambda pf: pf["productNameCompany"])
def test_written_footprints_validate_against_the_v3_openapi_schema(
    raw: dict[str, Any], openapi: dict[str, Any]
) -> None:
    assert schema_errors(openapi, "ProductFootprint", parse_footprint(raw).to_json()) == []


def test_emission_values_are_decimals_in_python_and_strings_on_the_wire(cell: dict[str, Any]) -> None:
    pf = parse_footprint(cell)
    assert pf.pcf.pcfExcludingBiogenicUptake == Decimal("21.4")
    assert pf.to_json()["pcf"]["pcfExcludingBiogenicUptake"] == "21.4"


def test_a_tiny_decimal_is_written_in_fixed_point_never_in_exponent_form(cell: dict[str, Any]) -> None:
    cell["pcf"]["aircraftGhgEmissions"] = "0.0000001"
    pf = parse_footprint(cell)
    computed = pf.pcf.model_copy(update={"aircraftGhgEmissions": Decimal("1E-7")})
    assert pf.model_copy(update={"pcf": computed}).to_json()["pcf"]["aircraftGhgEmissions"] == "0.0000001"


def test_a_json_number_for_an_emission_value_is_refused(cell: dict[str, Any]) -> None:
    cell["pcf"]["fossilGhgEmissions"] = 21.1
    with pytest.raises(InvalidInput, match="pcf/fossilGhgEmissions"):
        parse_footprint(cell)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fossilGhgEmissions", "-1"),  # PositiveOrZeroDecimal
        ("biogenicCO2Uptake", "0.5"),  # NegativeOrZeroDecimal
        ("declaredUnitAmount", "0"),  # PositiveNonZeroDecimal
        ("pcfExcludingBiogenicUptake", "1e3"),  # not the decimal pattern
    ],
)
def test_a_value_of_the_wrong_sign_or_form_is_refused(cell: dict[str, Any], field: str, value: str) -> None:
    cell["pcf"][field] = value
    with pytest.raises(InvalidInput, match=f"pcf/{field}"):
        parse_footprint(cell)


def test_at_most_one_geography_may_be_defined(cell: dict[str, Any]) -> None:
    cell["pcf"]["geographyRegionOrSubregion"] = "Europe"
    with pytest.raises(InvalidInput, match="at most one of geography"):
        parse_footprint(cell)


def test_packaging_emissions_must_be_undefined_when_packaging_is_not_included(cell: dict[str, Any]) -> None:
    cell["pcf"]["packagingEmissionsIncluded"] = False
    with pytest.raises(InvalidInput, match="packagingGhgEmissions MUST be undefined"):
        parse_footprint(cell)


@pytest.mark.parametrize("field", ["companyIds", "productIds"])
def test_identifiers_must_be_a_non_empty_set_of_urns(cell: dict[str, Any], field: str) -> None:
    for bad in ([], ["urn:a:1", "urn:a:1"], ["gtin:4012345000016"]):
        cell[field] = bad
        with pytest.raises(InvalidInput, match=field):
            parse_footprint(cell)


def test_a_date_time_without_a_time_zone_is_refused(cell: dict[str, Any]) -> None:
    cell["created"] = "2025-02-01T09:00:00"
    with pytest.raises(InvalidInput, match="created"):
        parse_footprint(cell)


def test_date_times_are_written_in_utc_with_z(cell: dict[str, Any]) -> None:
    cell["created"] = "2025-02-01T10:00:00+01:00"
    assert parse_footprint(cell).to_json()["created"] == "2025-02-01T09:00:00Z"


def test_the_validity_period_must_end_after_it_starts(cell: dict[str, Any]) -> None:
    cell["validityPeriodEnd"] = cell["validityPeriodStart"]
    with pytest.raises(InvalidInput, match="validityPeriodEnd"):
        parse_footprint(cell)


def test_missing_mandatory_properties_are_named(cell: dict[str, Any]) -> None:
    del cell["productNameCompany"]
    del cell["pcf"]["productMassPerDeclaredUnit"]
    with pytest.raises(InvalidInput) as raised:
        parse_footprint(cell)
    assert "productNameCompany" in raised.value.detail
    assert "pcf/productMassPerDeclaredUnit" in raised.value.detail


def test_obsolete_v2_fields_are_not_written_back(cell: dict[str, Any]) -> None:
    cell["version"] = 3
    cell["updated"] = "2025-03-01T00:00:00Z"
    written = parse_footprint(cell).to_json()
    assert "version" not in written and "updated" not in written


def test_a_footprint_is_immutable(cell: dict[str, Any]) -> None:
    pf = parse_footprint(cell)
    with pytest.raises(ValueError, match="frozen"):
        pf.status = "Deprecated"


def test_not_an_object_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="JSON object"):
        parse_footprint(["not", "a", "footprint"])


V3_EXAMPLES = sorted((SHARED_PCF / "wbcsd-data-exchange-protocol" / "v3" / "examples").glob("example-*.json"))


@pytest.mark.skipif(
    not V3_EXAMPLES, reason="the WBCSD v3 examples live in ../shared (not copied: WBCSD licence)"
)
@pytest.mark.parametrize("path", V3_EXAMPLES, ids=lambda p: p.name)
def test_the_official_v3_examples_are_read_and_written_schema_valid(
    path: Path, openapi: dict[str, Any]
) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    pf = parse_footprint(raw)
    assert isinstance(pf, ProductFootprint)
    written = pf.to_json()
    assert schema_errors(openapi, "ProductFootprint", written) == []
    assert written["pcf"]["pcfExcludingBiogenicUptake"] == raw["pcf"]["pcfExcludingBiogenicUptake"]
