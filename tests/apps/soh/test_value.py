"""Residual value for reuse: the assumptions travel with the figure, faults go to recycling, and the value
moves the way its assumptions say it must."""

from __future__ import annotations

import dataclasses

import numpy as np

from battrace.apps.soh import fleet
from battrace.apps.soh.assess import assess, report
from battrace.apps.soh.value import Assumptions
from battrace.apps.soh.warnings import any_of_kind

from .conftest import Case


def test_every_assumption_is_listed_beside_the_value(case: Case) -> None:
    shown = report(case.result, 0)["residual_value"]["assumptions"]
    assert set(shown) == {f.name for f in dataclasses.fields(Assumptions)}
    assert shown["repurposing_cost_eur_per_kwh"] == Assumptions().repurposing_cost_eur_per_kwh


def test_a_battery_with_a_fault_warning_is_routed_to_recycling_at_its_recycling_value(case: Case) -> None:
    fault = any_of_kind(case.result.flags, "fault")
    valuation = case.result.valuation
    assert (valuation.route[fault] == "recycle").all()
    energy = case.result.params.remaining_capacity * case.readings.per_battery("nominal_voltage_v") / 1000
    np.testing.assert_allclose(
        valuation.value_eur[fault], energy[fault] * Assumptions().recycling_value_eur_per_kwh
    )


def test_the_value_interval_brackets_the_value(case: Case) -> None:
    v = case.result.valuation
    known = v.route != "unknown"
    assert known.all()
    assert np.all(v.low_eur[known] <= v.value_eur[known] + 1e-9)
    assert np.all(v.value_eur[known] <= v.high_eur[known] + 1e-9)


def test_among_sound_reusable_packs_of_one_model_a_healthier_one_is_worth_more(case: Case) -> None:
    # Same nameplate, same assumptions: value grows with remaining energy and remaining second life, both of
    # which a higher state of health gives; compare the healthiest and the least healthy reusable EV pack.
    v, p = case.result.valuation, case.result.params
    ev = np.array([plate.certified_usable_energy_kwh is not None for plate in case.readings.nameplates])
    pool = np.flatnonzero(ev & (v.route == "reuse") & ~any_of_kind(case.result.flags, "abuse"))
    best, worst = pool[np.argmax(p.state_of_health[pool])], pool[np.argmin(p.state_of_health[pool])]
    assert v.value_eur[best] > v.value_eur[worst]


def test_cheaper_new_storage_lowers_what_a_used_pack_is_worth(case: Case) -> None:
    cheap = assess(case.readings, Assumptions(new_storage_price_eur_per_kwh=100.0)).valuation
    reuse = case.result.valuation.route == "reuse"
    assert np.all(cheap.value_eur[reuse] < case.result.valuation.value_eur[reuse])
    assert (cheap.route == "reuse").sum() <= reuse.sum()


def test_a_fault_in_the_last_months_still_routes_the_battery_to_recycling() -> None:
    # A fault two readings before the end leaves too few readings after the step to fit a curve.
    readings, truth = fleet.generate(300, months=24, seed=4, fault_share=0.5)
    late = np.flatnonzero(truth.fault_month == 22)
    assert late.size > 0
    result = assess(readings)
    assert not result.capacity_fit.ok[late].any()
    assert (result.valuation.route[late] == "recycle").all()
    assert np.isfinite(result.valuation.value_eur[late]).all()
