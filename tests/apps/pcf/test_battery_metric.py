from __future__ import annotations

from decimal import Decimal

import pytest

from battrace.apps.pcf import (
    Footprint,
    MetricConfig,
    Stage,
    battery_metric,
    lifetime_energy_from_cycles,
    lifetime_energy_from_service_life,
)
from battrace.errors import InvalidInput
from battrace.passport.checks import check_value, cross_problems

from ._builders import footprint, own

BOUNDS = MetricConfig(class_bounds=(("A", Decimal("0.1")), ("B", Decimal("0.2")), ("C", None)))


def _pack(raw: str, production: str, distribution: str = "0", end_of_life: str = "0") -> Footprint:
    result = footprint(own(raw=raw, production=production))
    assert result.stages is not None
    stages = dict(result.stages)
    stages[Stage.DISTRIBUTION], stages[Stage.END_OF_LIFE] = Decimal(distribution), Decimal(end_of_life)
    total = sum(stages.values(), Decimal(0))
    return result.model_copy(update={"stages": stages, "total": total})


def test_lifetime_energy_from_a_declared_cycle_life() -> None:
    # 75 kWh x 1500 cycles x 0.9 depth of discharge = 101 250 kWh
    assert lifetime_energy_from_cycles(Decimal(75), Decimal(1500), Decimal("0.9")) == Decimal(101250)


def test_lifetime_energy_from_the_draft_acts_cycles_per_year() -> None:
    # bus (M3): 250 cycles/yr; 300 kWh x 250 x 10 years = 750 000 kWh
    assert lifetime_energy_from_service_life(Decimal(300), Decimal(10), "M3") == Decimal(750000)
    # the table is configuration: a changed delegated act needs no code change
    changed = MetricConfig(cycles_per_year={"M1": 100})
    assert lifetime_energy_from_service_life(Decimal(60), Decimal(8), "M1", changed) == Decimal(48000)
    with pytest.raises(InvalidInput, match="vehicle category 'M2'"):
        lifetime_energy_from_service_life(Decimal(60), Decimal(8), "M2", changed)


@pytest.mark.parametrize(("dod", "cycles"), [("0", "1000"), ("1.2", "1000"), ("0.8", "0")])
def test_impossible_lifetime_inputs_are_refused(dod: str, cycles: str) -> None:
    with pytest.raises(InvalidInput):
        lifetime_energy_from_cycles(Decimal(60), Decimal(cycles), Decimal(dod))


def test_per_kwh_shares_and_class_of_a_pack() -> None:
    # 6000 + 3000 + 500 + 500 = 10 000 kg over 60 000 kWh = 0.1667 kg/kWh -> class B (0.1 < x <= 0.2)
    metric = battery_metric(_pack("6000", "3000", "500", "500"), Decimal(60000), BOUNDS)
    assert metric.per_kwh == Decimal("0.1667")
    assert metric.performance_class == "B"
    assert metric.shares == {
        Stage.RAW_MATERIAL: 60,
        Stage.PRODUCTION: 30,
        Stage.DISTRIBUTION: 5,
        Stage.END_OF_LIFE: 5,
    }
    assert metric.absolute_t == Decimal(10)


def test_a_value_on_a_class_bound_belongs_to_the_better_class() -> None:
    assert battery_metric(_pack("6000", "0"), Decimal(60000), BOUNDS).performance_class == "A"  # exactly 0.1


def test_passport_values_pass_the_passport_checks_and_the_stage_sum_rule() -> None:
    # thirds: each share rounds to 33.33 %, the sum 99.99 % stays within the cross rule's tolerance
    values = battery_metric(_pack("1", "1", "1"), Decimal(7), BOUNDS).passport_values()
    assert set(values) == {
        "carbon_footprint_per_functional_unit",
        "carbon_footprint_raw_material_share",
        "carbon_footprint_production_share",
        "carbon_footprint_distribution_share",
        "carbon_footprint_end_of_life_share",
        "carbon_footprint_performance_class",
        "absolute_carbon_footprint",
    }
    for key, value in values.items():
        check_value(key, value)
    assert cross_problems(values, []) == []
    assert values["absolute_carbon_footprint"] == pytest.approx(0.003)  # 3 kg = 0.003 t


def test_a_footprint_not_per_battery_is_refused() -> None:
    per_kg = _pack("1", "1").model_copy(update={"declared_unit": "kilogram"})
    with pytest.raises(InvalidInput, match="per piece"):
        battery_metric(per_kg, Decimal(100), BOUNDS)


def test_a_footprint_without_stage_split_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"Art\. 7\(1\)\(e\)"):
        battery_metric(_pack("1", "1").model_copy(update={"stages": None}), Decimal(100), BOUNDS)


def test_a_negative_stage_cannot_become_a_passport_percentage() -> None:
    with pytest.raises(InvalidInput, match="negative"):
        battery_metric(_pack("100", "50", "0", "-10"), Decimal(100), BOUNDS)


def test_above_every_closed_bound_without_an_open_class_is_refused() -> None:
    closed = MetricConfig(class_bounds=(("A", Decimal("0.1")),))
    with pytest.raises(InvalidInput, match="above every configured class bound"):
        battery_metric(_pack("100", "0"), Decimal(100), closed)


@pytest.mark.parametrize(
    "bounds",
    [
        (),
        (("A", None), ("B", Decimal(1))),
        (("A", Decimal(2)), ("B", Decimal(1))),
    ],
)
def test_class_bounds_must_increase_with_only_the_last_open(
    bounds: tuple[tuple[str, Decimal | None], ...],
) -> None:
    with pytest.raises(InvalidInput, match="class bounds"):
        MetricConfig(class_bounds=bounds)
