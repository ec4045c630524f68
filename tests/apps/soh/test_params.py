"""Annex VII parameters against the synthetic fleet's truth and against hand-made readings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from battrace.apps.soh import fleet
from battrace.apps.soh.assess import assess, report
from battrace.apps.soh.params import parameters
from battrace.apps.soh.series import Nameplate, Readings

from .conftest import Case


def _one(columns: dict[str, list[float]], plate: Nameplate = fleet.EV) -> Readings:
    months = len(columns["capacity"])
    days = 20_000.0 + np.arange(months, dtype=np.float64)[None, :] * 30.0
    return Readings(("B",), (plate,), days, {k: np.array([v], dtype=float) for k, v in columns.items()})


def test_state_of_health_is_the_latest_capacity_over_rated_capacity(case: Case) -> None:
    p = case.result.params
    rated = case.readings.per_battery("rated_capacity_ah")
    np.testing.assert_allclose(p.state_of_health, 100.0 * case.readings.columns["capacity"][:, -1] / rated)
    np.testing.assert_allclose(p.capacity_fade, 100.0 - p.state_of_health)


def test_soce_is_measured_over_certified_energy_for_ev_batteries_only(case: Case) -> None:
    ev = np.array([plate.certified_usable_energy_kwh is not None for plate in case.readings.nameplates])
    soce = case.result.params.state_of_certified_energy
    assert np.isfinite(soce[ev]).all() and np.isnan(soce[~ev]).all()
    expected = np.minimum(100.0, 100.0 * case.readings.columns["usable_energy"][ev, -1] / 60.0)
    np.testing.assert_allclose(soce[ev], expected)


def test_soce_of_a_new_pack_measuring_above_its_certified_energy_reads_100_percent() -> None:
    readings = _one(
        {"capacity": [180.0, 180.0], "capacity_throughput": [0, 10], "usable_energy": [60.9, 60.8]}
    )
    assert parameters(readings).state_of_certified_energy[0] == 100.0


def test_round_trip_efficiency_over_the_last_year_matches_the_true_efficiency(case: Case) -> None:
    # The true efficiency falls 0.4 points a year and the estimate averages the last year, so it sits up to
    # 0.2 points above the final month's value, plus the rounding of the energy counters.
    measured = case.result.params.remaining_round_trip_efficiency
    true_last = case.truth.round_trip_efficiency[:, -1]
    moving = ~case.truth.stored  # stored batteries moved no energy in their last six months, still >0
    assert np.nanmax(np.abs(measured - true_last)[moving]) < 0.5


def test_self_discharge_evolution_is_the_change_since_the_initial_rate(case: Case) -> None:
    # The generator reads the rate with noise bounded at +-0.5 %/month (plus 0.005 rounding), against the
    # nameplate's initial rate; so the measured evolution lies within that bound of the true one.
    initial = case.readings.per_battery("initial_self_discharge_rate")
    true = 100.0 * (case.truth.self_discharge[:, -1] - initial) / initial
    bound = 100.0 * 0.505 / initial
    measured = case.result.params.self_discharge_evolution
    assert np.all(np.abs(measured - true) <= bound)
    assert np.all(measured[~case.truth.sound] > 150.0)  # the generator's internal short: rate x4


def test_power_capability_is_derived_from_resistance_when_not_measured() -> None:
    plate = dataclasses.replace(
        fleet.EV, initial_internal_resistance_ohm=0.1, original_power_capability_w=150e3
    )
    readings = _one(
        {"capacity": [179.0, 178.0], "capacity_throughput": [0, 10], "resistance": [0.1, 0.125]}, plate
    )
    p = parameters(readings)
    assert p.remaining_power_capability[0] == pytest.approx(120_000.0)
    assert p.power_from_resistance[0]
    assert p.resistance_increase[0] == pytest.approx(25.0)
    measured = _one(
        {"capacity": [179.0, 178.0], "capacity_throughput": [0, 10], "power_capability": [1, 140e3]}
    )
    assert parameters(measured).remaining_power_capability[0] == 140e3
    assert not parameters(measured).power_from_resistance[0]


def test_full_cycles_come_from_the_throughput_when_the_bms_does_not_count_them() -> None:
    readings = _one({"capacity": [179.0, 178.0], "capacity_throughput": [0.0, 180.0 * 41.5]})
    assert parameters(readings).counters["full_cycles"][0] == 41.0


def test_a_battery_with_too_short_a_history_gets_its_parameters_but_no_life_estimate() -> None:
    # pyproject turns numpy's RuntimeWarnings into errors, so this also proves the NaN paths stay quiet.
    readings = _one({"capacity": [179.0, 178.5, 178.1], "capacity_throughput": [0.0, 900.0, 1800.0]})
    result = assess(readings)
    assert result.params.remaining_capacity[0] == 178.1
    assert not result.capacity_fit.ok[0]
    assert np.isnan(result.life.years[0])
    assert result.valuation.route[0] == "unknown"
    shown = report(result, 0)
    assert shown["remaining_useful_life"]["years"] is None
    assert shown["residual_value"]["value_eur"] is None
