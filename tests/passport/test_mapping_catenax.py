"""Specifications for the Catena-X battery_pass 6.1.0 mapping (fixtures: tests/fixtures/passport/catenax)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

from battrace.errors import InvalidInput
from battrace.passport.mapping.catenax import MAPPED_KEYS, from_catenax, to_catenax

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passport" / "catenax"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    return Draft4Validator(_load("BatteryPass-schema.json"), format_checker=FormatChecker())


@pytest.fixture
def example() -> dict[str, Any]:
    return _load("BatteryPass.json")


def _complete_source(example: dict[str, Any]) -> dict[str, object]:
    """The imported example made complete: an EV category and a real into-service date."""
    values = dict(from_catenax(example).values)
    values["battery_category"] = "ev"
    values["putting_into_service_date"] = "2001-02-03"
    return values


def test_official_example_validates_against_the_schema(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    assert list(validator.iter_errors(example)) == []


def test_import_flags_known_bad_values_and_imports_the_rest(example: dict[str, Any]) -> None:
    result = from_catenax(example)
    flagged = {p.key: p for p in result.flags}
    assert set(flagged) == {"putting_into_service_date", "battery_category"}
    assert "operation.intoServiceDate" in flagged["putting_into_service_date"].message
    assert "7172-75-08" in flagged["putting_into_service_date"].message
    assert flagged["putting_into_service_date"].rule == "date_real"
    assert "identification.category" in flagged["battery_category"].message  # SLI needs no passport
    assert "putting_into_service_date" not in result.values
    assert "battery_category" not in result.values
    assert set(result.values) == MAPPED_KEYS - set(flagged)
    assert result.values["battery_mass"] == 0.02  # 20 g -> kg
    assert result.values["battery_status"] == "original"
    assert result.values["manufacturing_date"] == "2000-01-31"
    assert result.values["rated_capacity"] == 4.0
    assert result.values["round_trip_efficiency_at_half_cycle_life"] == 89.0
    assert result.values["idle_temperature_lower_boundary"] == -18.0
    assert result.values["expected_lifetime_cycles"] == 1500


def test_import_export_import_keeps_every_mapped_attribute(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    source = _complete_source(example)
    assert set(source) == MAPPED_KEYS
    emitted = to_catenax(source, base=example)
    assert list(validator.iter_errors(emitted)) == []
    again = from_catenax(emitted)
    assert again.flags == []
    assert again.values == source


def test_export_does_not_leak_base_values_for_mapped_paths(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    source = _complete_source(example)
    del source["putting_into_service_date"]
    emitted = to_catenax(source, base=example)
    assert "intoServiceDate" not in emitted["operation"]  # type: ignore[operator]
    assert list(validator.iter_errors(emitted)) == []
    assert example["operation"]["intoServiceDate"] == "7172-75-08"  # base untouched


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("battery_status", "re-used"),
        ("battery_category", "lmt"),
        ("battery_category", "industrial"),
        ("battery_mass", {"value": 450.5, "unit": "kg"}),
    ],
)
def test_every_emitted_document_validates(
    validator: Draft4Validator, example: dict[str, Any], key: str, value: object
) -> None:
    source = _complete_source(example)
    source[key] = value
    emitted = to_catenax(source, base=example)
    assert list(validator.iter_errors(emitted)) == []
    expected = value["value"] if isinstance(value, dict) else value
    assert from_catenax(emitted).values[key] == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("battery_category", "stationary_storage"),  # no Catena-X category
        ("manufacturing_date", "2020-05"),  # Catena-X needs a full date
        ("battery_status", "recycled"),  # not an Annex XIII status
        ("rated_capacity", -1),
        ("battery_mass", {"value": 450.5, "unit": "g"}),  # not the catalogue unit
    ],
)
def test_unrepresentable_value_raises_invalid_input_naming_the_attribute(
    example: dict[str, Any], key: str, value: object
) -> None:
    source = _complete_source(example)
    source[key] = value
    with pytest.raises(InvalidInput) as caught:
        to_catenax(source, base=example)
    assert caught.value.status == 400
    assert key in caught.value.detail


def test_export_refuses_missing_required_attributes(example: dict[str, Any]) -> None:
    source = _complete_source(example)
    del source["battery_chemistry"]
    del source["rated_capacity"]
    with pytest.raises(InvalidInput) as caught:
        to_catenax(source, base=example)
    assert caught.value.extra["attributes"] == ["battery_chemistry", "rated_capacity"]


def test_export_without_base_is_refused(example: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        to_catenax(_complete_source(example))


def test_import_does_not_mutate_or_need_optional_paths(example: dict[str, Any]) -> None:
    trimmed = copy.deepcopy(example)
    del trimmed["operation"]["intoServiceDate"]
    result = from_catenax(trimmed)
    assert [p.key for p in result.flags] == ["battery_category"]
    assert "putting_into_service_date" not in result.values
