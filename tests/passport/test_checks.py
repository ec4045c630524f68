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
    CARBON_FOOTPRINT_STAGE_TOLERANCE,
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
        "manufacturing_date": "2025-03",
        "putting_into_service_date": "2025-05",
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
        # Annex II stage shares of the carbon footprint add up to 100 %.
        "carbon_footprint_raw_material_share": 62,
        "carbon_footprint_production_share": 30,
        "carbon_footprint_distribution_share": 3,
        "carbon_footprint_end_of_life_share": 5,
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


# Rules spanning several attributes.

TODAY = date(2026, 6, 15)


def _cross_problems(
    category: BatteryCategory = BatteryCategory.LMT, **changes: object
) -> set[tuple[str, str]]:
    """(key, rule) of every problem of a complete passport with ``changes`` applied, validated on TODAY."""
    passport = _complete_passport(category)
    passport.update(changes)
    return {(p.key, p.rule) for p in validate_passport(passport, category, today=TODAY)}


def test_ordered_voltages_pass() -> None:
    assert _cross_problems(minimum_voltage=2.5, nominal_voltage=3.7, maximum_voltage=4.2) == set()


def test_nominal_voltage_above_maximum_is_reported_naming_both_attributes() -> None:
    passport = _complete_passport(BatteryCategory.EV)
    passport.update(minimum_voltage=2.5, nominal_voltage=4.5, maximum_voltage=4.2)
    (problem,) = validate_passport(passport, BatteryCategory.EV, today=TODAY)
    assert (problem.key, problem.rule) == ("nominal_voltage", "voltage_order")
    assert "nominal_voltage" in problem.message and "maximum_voltage" in problem.message


def test_minimum_voltage_above_nominal_is_reported() -> None:
    assert _cross_problems(minimum_voltage=3.8, nominal_voltage=3.7, maximum_voltage=4.2) == {
        ("minimum_voltage", "voltage_order")
    }


def test_minimum_above_maximum_is_reported_when_nominal_is_missing() -> None:
    passport = _complete_passport(BatteryCategory.EV)
    passport.update(minimum_voltage=4.3, maximum_voltage=4.2)
    del passport["nominal_voltage"]
    found = {(p.key, p.rule) for p in validate_passport(passport, BatteryCategory.EV, today=TODAY)}
    assert found == {("nominal_voltage", "missing_mandatory"), ("minimum_voltage", "voltage_order")}


_VOLTS = st.floats(min_value=0, max_value=2000, allow_nan=False)


@given(st.lists(_VOLTS, min_size=3, max_size=3).map(sorted))
def test_any_ordered_voltage_triple_has_no_voltage_problem(triple: list[float]) -> None:
    low, nominal, high = triple
    found = _cross_problems(minimum_voltage=low, nominal_voltage=nominal, maximum_voltage=high)
    assert not any(rule == "voltage_order" for _, rule in found)


@given(_VOLTS, _VOLTS, _VOLTS)
def test_any_voltage_triple_with_nominal_above_maximum_has_exactly_one_voltage_problem(
    low: float, nominal: float, high: float
) -> None:
    nominal = high + 1 + nominal  # strictly above the maximum
    found = _cross_problems(minimum_voltage=low, nominal_voltage=nominal, maximum_voltage=high)
    assert [rule for _, rule in found if rule == "voltage_order"] == ["voltage_order"]


def test_voltage_given_with_its_unit_is_compared_by_value() -> None:
    assert _cross_problems(
        nominal_voltage={"value": 48, "unit": "V"},
        maximum_voltage={"value": 42, "unit": "V"},
        minimum_voltage=30,
    ) == {("nominal_voltage", "voltage_order")}


def test_idle_temperature_lower_boundary_above_upper_is_reported() -> None:
    assert _cross_problems(idle_temperature_lower_boundary=70, idle_temperature_upper_boundary=60) == {
        ("idle_temperature_lower_boundary", "temperature_range_order")
    }
    assert _cross_problems(idle_temperature_lower_boundary=60, idle_temperature_upper_boundary=60) == set()


def test_carbon_footprint_stage_shares_must_add_up_to_100_percent() -> None:
    shares = {
        "carbon_footprint_raw_material_share": 62,
        "carbon_footprint_production_share": 20,
        "carbon_footprint_distribution_share": 3,
        "carbon_footprint_end_of_life_share": 5,
    }
    assert _cross_problems(**shares) == {
        ("carbon_footprint_raw_material_share", "carbon_footprint_stages_sum")
    }


@pytest.mark.parametrize("delta", [-CARBON_FOOTPRINT_STAGE_TOLERANCE, CARBON_FOOTPRINT_STAGE_TOLERANCE])
def test_carbon_footprint_stage_shares_within_rounding_tolerance_pass(delta: float) -> None:
    assert _cross_problems(carbon_footprint_production_share=30 + delta) == set()


def test_carbon_footprint_sum_is_not_checked_when_a_stage_share_is_missing() -> None:
    passport = _complete_passport(BatteryCategory.EV)
    passport["carbon_footprint_production_share"] = 10
    del passport["carbon_footprint_distribution_share"]
    found = {p.rule for p in validate_passport(passport, BatteryCategory.EV, today=TODAY)}
    assert found == {"missing_mandatory"}


def test_remaining_capacity_clearly_above_rated_capacity_is_reported() -> None:
    assert _cross_problems(remaining_capacity=44.5, rated_capacity=40) == {
        ("remaining_capacity", "remaining_above_rated_capacity")
    }
    assert _cross_problems(remaining_capacity=32, rated_capacity={"value": 40, "unit": "Ah"}) == set()


def test_new_battery_slightly_above_its_rated_capacity_is_accepted() -> None:
    assert _cross_problems(remaining_capacity=41.5, rated_capacity=40) == set()


def test_pre_and_post_consumer_recycled_shares_together_at_most_100_percent() -> None:
    assert _cross_problems(pre_consumer_recycled_cobalt_share=60, post_consumer_recycled_cobalt_share=50) == {
        ("pre_consumer_recycled_cobalt_share", "recycled_shares_over_100")
    }
    assert _cross_problems(pre_consumer_recycled_lead_share=60, post_consumer_recycled_lead_share=40) == set()


def test_manufacture_after_putting_into_service_is_reported() -> None:
    found = _cross_problems(manufacturing_date="2025-06-10", putting_into_service_date="2025-05")
    assert found == {("manufacturing_date", "manufacture_after_service")}


def test_dates_in_the_same_month_at_different_precision_are_not_out_of_order() -> None:
    assert _cross_problems(manufacturing_date="2025-05-20", putting_into_service_date="2025-05") == set()


def test_dates_after_today_are_reported() -> None:
    found = _cross_problems(manufacturing_date="2026-06-16", putting_into_service_date="2026-07")
    assert found == {
        ("manufacturing_date", "date_in_future"),
        ("putting_into_service_date", "date_in_future"),
    }
    assert _cross_problems(manufacturing_date="2026-06-15", putting_into_service_date="2026-06") == set()


def test_rule_is_skipped_when_an_input_is_already_invalid() -> None:
    found = _cross_problems(
        manufacturing_date="2025-02-30",
        putting_into_service_date="2024-01",
        nominal_voltage=-5,
        maximum_voltage=-10,
    )
    assert found == {
        ("manufacturing_date", "date_real"),
        ("nominal_voltage", "non_negative"),
        ("maximum_voltage", "non_negative"),
    }


def test_cross_rules_collect_every_problem() -> None:
    found = _cross_problems(
        nominal_voltage=50,
        maximum_voltage=42,
        remaining_capacity=50,
        idle_temperature_upper_boundary=-30,
        manufacturing_date="2025-07",
    )
    assert {rule for _, rule in found} == {
        "voltage_order",
        "remaining_above_rated_capacity",
        "temperature_range_order",
        "manufacture_after_service",
    }
