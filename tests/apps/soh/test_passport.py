"""Dynamic passport data from an assessment: the catalogue's keys and units, values the passport accepts, and
a real PassportService that records them."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from battrace.apps.soh import fleet
from battrace.apps.soh.assess import Assessment, assess
from battrace.apps.soh.passport import measurements
from battrace.apps.soh.series import Readings
from battrace.identity import NodeKeys
from battrace.ledger.log import TransparencyLog
from battrace.ledger.note import NoteSigner
from battrace.passport.attributes import Audience, BatteryCategory, Requirement, attribute
from battrace.passport.checks import check_value
from battrace.passport.samples import ev_item_values, ev_model_values
from battrace.passport.service import NewModel, NewPassport, PassportService
from battrace.store import Store

from .conftest import Case

OEM = "did:web:oem.example"
MODEL = "urn:battrace:model:soh-test"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _first(case: Case, category: BatteryCategory) -> int:
    return next(i for i, p in enumerate(case.readings.nameplates) if p.category is category)


def test_every_measurement_uses_the_catalogue_key_and_unit_and_passes_its_checks(case: Case) -> None:
    for b in range(50):
        recorded, _ = measurements(case.result, b, "bms-export")
        for m in recorded:
            entry = attribute(m.key)
            assert entry.dynamic and m.unit == entry.unit
            check_value(m.key, m.value)


def test_an_ev_battery_records_soce_and_not_the_stationary_only_attributes(case: Case) -> None:
    b = _first(case, BatteryCategory.EV)
    keys = {m.key for m in measurements(case.result, b, "bms")[0]}
    assert {"state_of_certified_energy", "remaining_capacity", "full_cycles"} <= keys
    for key in keys:
        assert attribute(key).requirement(BatteryCategory.EV) is not Requirement.NOT_APPLICABLE
    assert "remaining_round_trip_efficiency" not in keys  # "-" for EV in the longlist


def test_a_stationary_battery_records_throughput_efficiency_and_temperature_time(case: Case) -> None:
    b = _first(case, BatteryCategory.STATIONARY_STORAGE)
    recorded = {m.key: m for m in measurements(case.result, b, "bms")[0]}
    assert {"energy_throughput", "capacity_throughput", "remaining_round_trip_efficiency",
            "time_above_temperature_boundary", "self_discharge_evolution"} <= set(recorded)  # fmt: skip
    assert "state_of_certified_energy" not in recorded
    last = case.readings.last_index()[b]
    assert recorded["capacity_throughput"].value == round(
        case.readings.columns["capacity_throughput"][b, last], 4
    )
    assert recorded["capacity_throughput"].measured_at.tzinfo is not None


def test_a_value_the_catalogue_cannot_hold_is_withheld_with_the_reason_not_bent(case: Case) -> None:
    b = _first(case, BatteryCategory.STATIONARY_STORAGE)
    sd = case.readings.columns["self_discharge_rate"].copy()
    initial = case.readings.nameplates[b].initial_self_discharge_rate
    assert initial is not None
    sd[b] = 4.0 * initial  # +300 %: beyond what a 0-100 % share can hold
    readings = Readings(
        case.readings.battery_ids,
        case.readings.nameplates,
        case.readings.days,
        {**case.readings.columns, "self_discharge_rate": sd},
    )
    result: Assessment = dataclasses.replace(case.result, readings=readings, params=assess(readings).params)
    recorded, withheld = measurements(result, b, "bms")
    assert "self_discharge_evolution" not in {m.key for m in recorded}
    assert [w.key for w in withheld] == ["self_discharge_evolution"]
    assert "percentage" in withheld[0].reason


def _with_resistance(case: Case, b: int, ohm: float) -> Assessment:
    """The case with battery ``b``'s current pack resistance (Annex VII Part A(5)) set to ``ohm``."""
    resistance = np.array(case.result.params.ohmic_resistance, copy=True)
    resistance[b] = ohm
    params = dataclasses.replace(case.result.params, ohmic_resistance=resistance)
    return dataclasses.replace(case.result, params=params)


def test_the_pack_resistance_is_recorded_in_ohm_from_the_last_reading_with_its_time(case: Case) -> None:
    # Annex VII Part A(5): the ohmic resistance, "where possible" for stationary and LMT batteries.
    for category in (BatteryCategory.STATIONARY_STORAGE, BatteryCategory.EV):  # EV: voluntary ("o")
        b = _first(case, category)
        recorded = {m.key: m for m in measurements(case.result, b, "bms")[0]}
        last = case.readings.last_index()[b]
        resistance = recorded["current_ohmic_resistance"]
        assert resistance.unit == "Ω"
        # The reading itself (5 decimals in the fleet export), kept to the 6th decimal, not cut to 4.
        assert resistance.value == round(float(case.readings.columns["resistance"][b, last]), 6)
        assert resistance.measured_at == recorded["full_cycles"].measured_at


def test_a_resistance_of_0_01234_ohm_keeps_all_its_digits(case: Case) -> None:
    b = _first(case, BatteryCategory.STATIONARY_STORAGE)
    recorded = {m.key: m for m in measurements(_with_resistance(case, b, 0.01234), b, "bms")[0]}
    assert recorded["current_ohmic_resistance"].value == 0.01234  # round(x, 4) would give 0.0123


@pytest.mark.parametrize(("ohm", "reason"), [(0.0, "positive"), (-0.02, "negative"), (math.inf, "finite")])
def test_a_resistance_that_is_not_positive_and_finite_is_withheld(
    case: Case, ohm: float, reason: str
) -> None:
    b = _first(case, BatteryCategory.STATIONARY_STORAGE)
    recorded, withheld = measurements(_with_resistance(case, b, ohm), b, "bms")
    assert "current_ohmic_resistance" not in {m.key for m in recorded}
    assert "current_ohmic_resistance" in {w.key for w in withheld}
    why = next(w.reason for w in withheld if w.key == "current_ohmic_resistance")
    assert reason in why


def test_the_passport_service_records_an_assessment_and_shows_it_as_current(tmp_path: Path) -> None:
    store = Store.for_data_dir(tmp_path / "node")
    store.migrate()
    try:
        signer = NoteSigner("oem.example/log", Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32))
        log = TransparencyLog(store, signer, origin="oem.example/log", clock=lambda: T0)
        keys = NodeKeys(Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32))
        service = PassportService(store, keys, did=OEM, log=log, clock=lambda: T0)
        service.register_model(NewModel(MODEL, BatteryCategory.EV, ev_model_values()))
        (pid,) = service.issue([NewPassport(MODEL, ev_item_values(1))]).passport_ids
        readings, _ = fleet.generate(40, months=36, seed=3)
        b = next(i for i, p in enumerate(readings.nameplates) if p.category is BatteryCategory.EV)
        result = assess(readings)
        recorded, _ = measurements(result, b, "bms:export")
        assert service.record(pid, recorded, writer=OEM) == len(recorded)
        view = service.document(pid, frozenset({Audience.PUBLIC, Audience.LEGITIMATE_INTEREST})).view
        soce = view.values["state_of_certified_energy"]
        assert isinstance(soce, dict)
        assert soce["value"] == round(float(np.asarray(result.params.state_of_certified_energy)[b]), 4)
    finally:
        store.dispose()


def test_fleet_nameplates_give_only_attributes_that_apply_to_the_category() -> None:
    from battrace.apps.soh import fleet
    from battrace.passport.attributes import BatteryCategory, Requirement, attribute

    values = fleet.passport_model_values(fleet.EV)
    assert "initial_self_discharge_rate" not in values
    assert "initial_self_discharge_rate" in fleet.passport_values(fleet.EV)  # the nameplate keeps it
    for key in values:
        assert attribute(key).requirement(BatteryCategory.EV) is not Requirement.NOT_APPLICABLE
