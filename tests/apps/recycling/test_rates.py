"""Collection rates, recycling efficiency and material recovery against their targets."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.apps.recycling import example
from battrace.apps.recycling.events import Category, Chemistry, Element, Records
from battrace.apps.recycling.massbalance import record_rows
from battrace.apps.recycling.rates import (
    COLLECTION_TARGETS,
    NO_COLLECTION_TARGET,
    RECOVERY_TARGETS,
    RECYCLING_EFFICIENCY_TARGETS,
    capped_percent,
    collection_rate,
    producer_collection_rate,
    recovery_rates,
    recycling_efficiency,
    target_for,
    treated,
)
from battrace.errors import InvalidInput


def test_example_recovery_rates_match_the_hand_checked_figures() -> None:
    histories = treated(example.example_records(), example.RECYCLER, example.YEAR)
    rates = recovery_rates(histories, example.YEAR)
    expected = example.EXPECTED.recovery_percent
    assert set(rates) == set(expected)
    for element, percent in expected.items():
        assert rates[element].percent == pytest.approx(percent)
    # 2029 is under the end-2027 targets: 90 % for Co/Cu/Ni, 50 % for Li
    assert {e: r.target for e, r in rates.items()} == {
        Element.COBALT: 90.0,
        Element.COPPER: 90.0,
        Element.LITHIUM: 50.0,
        Element.NICKEL: 90.0,
    }
    assert [e for e, r in rates.items() if not r.meets] == [Element.COPPER]


def test_example_recycling_efficiency_matches_the_hand_checked_figure() -> None:
    histories = treated(example.example_records(), example.RECYCLER, example.YEAR)
    rate = recycling_efficiency(histories, Chemistry.LITHIUM_BASED, example.YEAR)
    assert rate.percent == pytest.approx(example.EXPECTED.recycling_efficiency_percent)
    assert rate.target == 65.0  # lithium-based, by end 2025
    assert rate.meets is True


def test_example_collection_rate_of_the_portable_producer() -> None:
    rate = producer_collection_rate(example.example_records(), example.TOOLMAKER, Category.PORTABLE, 2027)
    assert rate.percent == pytest.approx(example.EXPECTED.collection_percent)
    assert rate.target == 63.0
    assert rate.meets is True


def test_collection_rate_averages_the_year_and_the_two_before() -> None:
    # (300 + 600 + 900) / 3 = 600 kg average; 438 kg collected in 2030 -> 73 %, the end-2030 target
    rate = collection_rate({2028: 300, 2029: 600, 2030: 900, 2031: 5000}, 438, 2030, Category.PORTABLE)
    assert rate.percent == pytest.approx(73.0)
    assert rate.target == 73.0
    assert rate.meets is True


def test_collection_for_ev_batteries_is_computed_but_has_no_target_and_says_why() -> None:
    rate = collection_rate({2028: 100, 2029: 100, 2030: 100}, 50, 2030, Category.EV)
    assert rate.percent == pytest.approx(50.0)
    assert rate.target is None and rate.meets is None
    assert "Art. 61" in rate.note and rate.note == NO_COLLECTION_TARGET


def test_a_collection_rate_without_the_three_years_of_sales_is_refused() -> None:
    with pytest.raises(InvalidInput, match="sales for 2028 are missing"):
        collection_rate({2029: 1, 2030: 1}, 1, 2030, Category.PORTABLE)


def test_a_collection_rate_over_no_sales_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no sales"):
        collection_rate({2028: 0, 2029: 0, 2030: 0}, 1, 2030, Category.LMT)


def test_a_producer_rate_takes_earlier_sales_from_the_caller() -> None:
    records = example.example_records()
    # records start in 2025; 2027 needs 2025-2027; 2026 rate needs 2024 as well
    with pytest.raises(InvalidInput, match="sales for 2024 are missing"):
        producer_collection_rate(records, example.TOOLMAKER, Category.PORTABLE, 2026)
    # no collection recorded in 2026: 0 % whatever the sales; (900 + 1000 + 1200) / 3 = 1033.3
    rate = producer_collection_rate(
        records, example.TOOLMAKER, Category.PORTABLE, 2026, earlier_sales_kg={2024: 900}
    )
    assert rate.percent == 0.0
    assert rate.target == 45.0


def test_another_producers_batteries_do_not_count_for_it() -> None:
    records = example.example_records()
    with pytest.raises(InvalidInput, match=r"sales for .* are missing"):
        producer_collection_rate(records, example.CARMAKER, Category.PORTABLE, 2027)


@pytest.mark.parametrize(
    ("targets", "year", "expected"),
    [
        (COLLECTION_TARGETS[Category.PORTABLE], 2022, None),
        (COLLECTION_TARGETS[Category.PORTABLE], 2023, 45.0),
        (COLLECTION_TARGETS[Category.PORTABLE], 2026, 45.0),
        (COLLECTION_TARGETS[Category.PORTABLE], 2027, 63.0),
        (COLLECTION_TARGETS[Category.PORTABLE], 2035, 73.0),
        (COLLECTION_TARGETS[Category.LMT], 2027, None),
        (COLLECTION_TARGETS[Category.LMT], 2028, 51.0),
        (COLLECTION_TARGETS[Category.LMT], 2031, 61.0),
        (RECOVERY_TARGETS[Element.LITHIUM], 2026, None),
        (RECOVERY_TARGETS[Element.LITHIUM], 2027, 50.0),
        (RECOVERY_TARGETS[Element.LITHIUM], 2031, 80.0),
        (RECOVERY_TARGETS[Element.LEAD], 2031, 95.0),
        (RECOVERY_TARGETS[Element.COPPER], 2030, 90.0),
        (RECYCLING_EFFICIENCY_TARGETS[Chemistry.LEAD_ACID], 2030, 80.0),
        (RECYCLING_EFFICIENCY_TARGETS[Chemistry.NICKEL_CADMIUM], 2031, 80.0),
        (RECYCLING_EFFICIENCY_TARGETS[Chemistry.OTHER], 2024, None),
    ],
)
def test_the_target_in_force_is_the_latest_one_due_by_the_end_of_the_year(
    targets: tuple[tuple[int, float], ...], year: int, expected: float | None
) -> None:
    assert target_for(targets, year) == expected


def test_an_output_within_weighing_tolerance_above_its_input_reads_as_100_percent() -> None:
    rows = copy.deepcopy(example._ev_rows())[:6]
    # the lot held 20 kg cobalt; the assay reads 300 x 6.68 % = 20.04 kg and the refiner 20.08 kg, each
    # within 0.5 % + 1 g of its input, so both rows pass; 20.08 / 20 would be 100.4 %
    rows[4]["composition_percent"] = {"cobalt": 6.68}
    rows[5]["recovered_kg"] = {"cobalt": 20.08}
    histories = [record_rows(Records(), rows).history(example.EV_LOT)]
    assert recovery_rates(histories, 2031)[Element.COBALT].percent == 100.0
    assert capped_percent(20.08, 20.0) == 100.0
    assert capped_percent(19.0, 20.0) == pytest.approx(95.0)


def test_partial_delivery_lowers_the_element_input_of_the_recovery_rate() -> None:
    rows = copy.deepcopy(example._ev_rows())[:6]
    # half the lot delivered: 10 kg cobalt enter; 500 kg in, 300 to shredding, 150 black mass at 6 % = 9 kg
    rows[1]["mass_kg"] = rows[2]["mass_kg"] = 500
    rows[3].update(input_kg=500, to_shredding_kg=300, fractions_kg={"steel": 100})
    rows[4].update(input_kg=300, black_mass_kg=150, fractions_kg={}, composition_percent={"cobalt": 6.0})
    rows[5].update(input_kg=150, recovered_kg={"cobalt": 8.0}, fractions_kg={})
    histories = [record_rows(Records(), rows).history(example.EV_LOT)]
    assert recovery_rates(histories, 2031)[Element.COBALT].percent == pytest.approx(80.0)  # 8 / 10
    # efficiency: (100 steel + 8 cobalt) / 500 = 21.6 %
    assert recycling_efficiency(histories, Chemistry.LITHIUM_BASED, 2031).percent == pytest.approx(21.6)


def test_efficiency_over_batteries_of_another_chemistry_is_refused() -> None:
    histories = treated(example.example_records(), example.RECYCLER, example.YEAR)
    with pytest.raises(InvalidInput, match="no lead_acid batteries treated"):
        recycling_efficiency(histories, Chemistry.LEAD_ACID, example.YEAR)


def test_only_subjects_delivered_to_the_facility_in_the_year_are_treated_there() -> None:
    records = example.example_records()
    assert [h.subject for h in treated(records, example.RECYCLER, 2029)] == [example.EV_LOT]
    assert treated(records, example.RECYCLER, 2028) == ()
    assert treated(records, example.REFINER, 2029) == ()


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e6), st.floats(min_value=0, max_value=1e6))
def test_capped_percent_is_always_between_0_and_100(out_kg: float, in_kg: float) -> None:
    assert 0 <= capped_percent(out_kg, in_kg) <= 100
