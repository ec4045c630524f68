"""Fault and abuse warnings against the fleet's known faulty and abused batteries."""

from __future__ import annotations

import numpy as np

from battrace.apps.soh import fleet
from battrace.apps.soh.assess import assess
from battrace.apps.soh.series import Readings
from battrace.apps.soh.warnings import any_of_kind, warnings_for

from .conftest import Case


def test_every_battery_with_an_internal_fault_gets_a_fault_warning(case: Case) -> None:
    faulty = ~case.truth.sound
    assert faulty.sum() >= 10  # 1 % of 2 000: enough to mean something
    assert any_of_kind(case.result.flags, "fault")[faulty].all()


def test_sound_batteries_almost_never_get_a_fault_warning(case: Case) -> None:
    # Thresholds sit at 7+ standard deviations of BMS noise: at most 1 in 200 sound batteries may trip one
    # (the BMS's own SOH carries extra noise and rounding).
    false_alarms = any_of_kind(case.result.flags, "fault")[case.truth.sound]
    assert false_alarms.mean() <= 0.005


def test_abused_batteries_are_flagged_and_normally_used_ones_are_not(case: Case) -> None:
    abuse = any_of_kind(case.result.flags, "abuse")
    assert abuse[case.truth.abused].all()
    assert abuse[~case.truth.abused].mean() <= 0.01


def test_each_warning_names_its_evidence(case: Case) -> None:
    faulty = int(np.flatnonzero(~case.truth.sound)[0])
    shown = warnings_for(case.result.flags, faulty)
    step = next(w for w in shown if w.code == "capacity_step")
    assert step.kind == "fault" and "points of rated capacity" in step.message


def test_storage_too_hot_after_first_life_is_a_condition_warning() -> None:
    readings, _ = fleet.generate(1, months=24, seed=1)
    columns = dict(readings.columns)
    columns["storage_temperature"] = np.full(readings.days.shape, np.nan)
    columns["storage_temperature"][0, -1] = 41.0
    hot = assess(Readings(readings.battery_ids, readings.nameplates, readings.days, columns))
    codes = [w.code for w in warnings_for(hot.flags, 0)]
    assert "storage_conditions" in codes
    columns["storage_temperature"][0, -1] = 20.0
    cool = assess(Readings(readings.battery_ids, readings.nameplates, readings.days, columns))
    assert "storage_conditions" not in [w.code for w in warnings_for(cool.flags, 0)]


def test_a_battery_below_its_exhaustion_threshold_is_reported_exhausted(case: Case) -> None:
    threshold = case.readings.per_battery("capacity_threshold_for_exhaustion")
    below = case.result.params.state_of_health <= threshold
    np.testing.assert_array_equal(case.result.flags.fired["exhausted"], below)
