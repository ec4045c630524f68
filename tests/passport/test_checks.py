"""Semantic passport checks: dates, ranges, CAS numbers, compositions, units and whole-passport validation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.passport.attributes import BatteryCategory, mandatory_for
from battrace.passport.checks import (
    cas_check_digit,
    check_cas_number,
    check_composition_shares,
    check_date,
    check_non_negative,
    check_percentage,
    check_unit,
    check_value,
    validate_passport,
)

LITHIUM, COBALT, NICKEL = "7439-93-2", "7440-48-4", "7440-02-0"


def _complete_passport(category: BatteryCategory) -> dict[str, object]:
    """A passport holding a plausible value for every mandatory attribute of ``category``."""
    samples: dict[str, object] = {
        "manufacturer_identifier": {"type": "GLN", "value": "4012345000009"},
        "manufacturing_date": "2027-03",
        "putting_into_service_date": "2027-05",
        "warranty_period": "P8Y",
        "battery_category": category.value,
        "battery_status": "original",
        "critical_raw_materials": ["cobalt", "lithium", "nickel"],
        "electrode_electrolyte_materials": {
            "components": [
                {"name": "nickel", "cas": NICKEL, "share": 60},
                {"name": "cobalt", "cas": COBALT, "share": 20},
                {"name": "lithium", "cas": LITHIUM, "share": 20},
            ],
            "complete": True,
        },
        "hazardous_substances": [{"name": "cobalt", "cas": COBALT}],
        "temperature_information": -5.0,
        "idle_temperature_lower_boundary": -20,
    }
    passport: dict[str, object] = {}
    for entry in mandatory_for(category):
        if entry.key in samples:
            passport[entry.key] = samples[entry.key]
        elif entry.unit == "%":
            passport[entry.key] = 12.5
        elif entry.unit is not None:
            passport[entry.key] = 40
        else:
            passport[entry.key] = "see https://example.test/doc.pdf"
    return passport


def test_real_dates_are_read_and_year_month_means_the_first() -> None:
    assert check_date("manufacturing_date", "2024-02-29") == date(2024, 2, 29)
    assert check_date("manufacturing_date", "2027-03") == date(2027, 3, 1)


@pytest.mark.parametrize("value", ["2025-02-30", "2025-13", "2023-02-29"])
def test_impossible_calendar_date_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"manufacturing_date: .* is not a calendar date"):
        check_date("manufacturing_date", value)


@pytest.mark.parametrize("value", ["27-03", "2027/03", "March 2027", 2027])
def test_date_not_in_iso_8601_form_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput, match="ISO 8601"):
        check_date("manufacturing_date", value)


@pytest.mark.parametrize("value", [0, 100, 37.5])
def test_percentages_within_0_and_100_pass(value: float) -> None:
    assert check_percentage("state_of_charge", value) == value


@pytest.mark.parametrize("value", [-0.1, 100.01, float("nan")])
def test_percentage_outside_0_to_100_is_refused(value: float) -> None:
    with pytest.raises(InvalidInput, match="state_of_charge"):
        check_percentage("state_of_charge", value)


def test_negative_quantity_is_refused() -> None:
    with pytest.raises(InvalidInput, match="battery_mass: a quantity cannot be negative"):
        check_non_negative("battery_mass", -1)


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(InvalidInput, match="finite number"):
        check_non_negative("battery_mass", True)


@pytest.mark.parametrize("cas", [LITHIUM, COBALT, NICKEL, "7732-18-5"])
def test_real_cas_numbers_pass(cas: str) -> None:
    assert check_cas_number("hazardous_substances", cas) == cas


def test_cas_number_with_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidInput, match="check digit 3, expected 2") as caught:
        check_cas_number("hazardous_substances", "7439-93-3")
    assert caught.value.extra["reason"] == "cas_check_digit"


@given(st.text(alphabet="0123456789", min_size=4, max_size=9))
def test_cas_body_with_its_check_digit_passes_and_with_any_other_fails(body: str) -> None:
    digit = cas_check_digit(body)
    check_cas_number("hazardous_substances", f"{body[:-2]}-{body[-2:]}-{digit}")
    with pytest.raises(InvalidInput):
        check_cas_number("hazardous_substances", f"{body[:-2]}-{body[-2:]}-{(digit + 1) % 10}")


def test_material_shares_over_100_percent_are_refused() -> None:
    with pytest.raises(InvalidInput, match="more than 100 %"):
        check_composition_shares("electrode_electrolyte_materials", [60, 30, 15], complete=False)


def test_partial_composition_may_add_up_to_less_than_100() -> None:
    check_composition_shares("electrode_electrolyte_materials", [60, 30], complete=False)


def test_composition_declared_complete_must_add_up_to_100_within_tolerance() -> None:
    check_composition_shares("electrode_electrolyte_materials", [33.3, 33.3, 33.3], complete=True)
    with pytest.raises(InvalidInput, match="declared complete"):
        check_composition_shares("electrode_electrolyte_materials", [60, 30], complete=True)


def test_unit_must_be_the_catalogue_unit() -> None:
    check_unit("rated_capacity", "Ah")
    with pytest.raises(InvalidInput, match="rated_capacity: unit must be 'Ah', got 'mAh'"):
        check_unit("rated_capacity", "mAh")


def test_value_with_unit_is_checked_against_the_catalogue() -> None:
    check_value("rated_capacity", {"value": 120, "unit": "Ah"})
    with pytest.raises(InvalidInput, match="unit"):
        check_value("rated_capacity", {"value": 120, "unit": "Wh"})


def test_temperatures_may_be_negative_but_masses_may_not() -> None:
    check_value("idle_temperature_lower_boundary", -30)
    with pytest.raises(InvalidInput):
        check_value("battery_mass", -30)


def test_internal_resistance_increase_may_exceed_100_percent() -> None:
    check_value("internal_resistance_increase", 150)


@pytest.mark.parametrize("category", list(BatteryCategory))
def test_complete_passport_has_no_problems(category: BatteryCategory) -> None:
    assert validate_passport(_complete_passport(category), category) == []


def test_validation_collects_every_problem_instead_of_stopping_at_the_first() -> None:
    passport: dict[str, Any] = _complete_passport(BatteryCategory.EV)
    passport.update(
        {
            "manufacturing_date": "2025-02-30",
            "state_of_charge": 140,
            "colour": "blue",
            "battery_status": "broken",
            "rated_capacity": {"value": 50, "unit": "mAh"},
            "hazardous_substances": [{"name": "lithium", "cas": "7439-93-3"}],
            "manufacturer_identifier": {"type": "GLN", "value": "4012345000001"},
            "energy_throughput": 10,
        }
    )
    del passport["battery_mass"]
    found = {(p.key, p.rule) for p in validate_passport(passport, BatteryCategory.EV)}
    assert found == {
        ("manufacturing_date", "date_real"),
        ("state_of_charge", "percentage_range"),
        ("colour", "unknown_attribute"),
        ("battery_status", "choice"),
        ("rated_capacity", "unit"),
        ("hazardous_substances", "cas_check_digit"),
        ("manufacturer_identifier", "organisation_identifier"),
        ("energy_throughput", "not_applicable"),
        ("battery_mass", "missing_mandatory"),
    }


def test_problem_messages_name_the_attribute() -> None:
    passport = _complete_passport(BatteryCategory.LMT)
    passport["warranty_period"] = "8 years"
    (problem,) = validate_passport(passport, BatteryCategory.LMT)
    assert problem.key == "warranty_period" and problem.message.startswith("warranty_period:")


def test_declared_category_must_match_the_category_validated_for() -> None:
    passport = _complete_passport(BatteryCategory.LMT)
    passport["battery_category"] = "industrial"
    rules = [p.rule for p in validate_passport(passport, BatteryCategory.LMT)]
    assert rules == ["category_mismatch"]
