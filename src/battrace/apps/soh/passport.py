"""The dynamic passport data (Annex XIII 4(b)/(d), Annex VII) that an assessment updates, as
battrace.passport.service.Measurement objects ready for PassportService.record.

Each value is checked with the passport's own rules (checks.check_value) and keyed and unit-ed by the
catalogue (attributes.py), so a recorded series never fails there. An attribute that does not apply to the
battery's category (e.g. remaining round-trip efficiency for an EV, "-" in the longlist) is not recorded; a
value the catalogue cannot hold is withheld with the reason, never bent to fit. The pack's ohmic resistance
(Annex VII Part A(5)) is the last reading's, and must be positive: a zero or negative resistance is a broken
reading, not a state of health.
Pure module: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from battrace.apps.soh.assess import Assessment
from battrace.apps.soh.series import to_datetime
from battrace.errors import InvalidInput
from battrace.passport.attributes import Requirement, attribute
from battrace.passport.checks import check_value
from battrace.passport.service import Measurement


@dataclass(frozen=True)
class Withheld:
    key: str
    value: float
    reason: str


def _values(result: Assessment, b: int) -> dict[str, float]:
    p = result.params
    counters = p.counters
    return {
        "remaining_capacity": float(p.remaining_capacity[b]),
        "state_of_certified_energy": float(p.state_of_certified_energy[b]),
        "remaining_power_capability": float(p.remaining_power_capability[b]),
        "remaining_round_trip_efficiency": float(p.remaining_round_trip_efficiency[b]),
        "current_self_discharge_rate": float(p.current_self_discharge_rate[b]),
        "self_discharge_evolution": float(p.self_discharge_evolution[b]),
        "current_ohmic_resistance": float(p.ohmic_resistance[b]),
        "full_cycles": float(counters["full_cycles"][b]),
        "energy_throughput": float(counters["energy_discharged"][b]),
        "capacity_throughput": float(counters["capacity_throughput"][b]),
        "deep_discharge_events": float(counters["deep_discharges"][b]),
        "time_above_temperature_boundary": float(counters["time_above_temperature"][b]),
        "time_below_temperature_boundary": float(counters["time_below_temperature"][b]),
        "charging_time_above_temperature_boundary": float(counters["charging_time_above_temperature"][b]),
        "charging_time_below_temperature_boundary": float(counters["charging_time_below_temperature"][b]),
    }


_COUNTS = frozenset({"full_cycles", "deep_discharge_events"})
# Decimals kept per value: 4 by default; a pack resistance is tens of mΩ and read to 0.01 mΩ (5 decimals), so
# 4 would cut a real digit.
_DIGITS = {"current_ohmic_resistance": 6}
# Quantities that are strictly positive (the passport's own check admits zero for every magnitude).
_POSITIVE = frozenset({"current_ohmic_resistance"})


def measurements(result: Assessment, battery: int, source: str) -> tuple[list[Measurement], list[Withheld]]:
    """The Measurements for one battery at its latest reading, and what was withheld and why."""
    readings = result.readings
    category = readings.nameplates[battery].category
    measured_at = to_datetime(float(readings.days[battery, readings.last_index()[battery]]))
    recorded: list[Measurement] = []
    withheld: list[Withheld] = []
    for key, raw in _values(result, battery).items():
        entry = attribute(key)
        if math.isnan(raw) or entry.requirement(category) is Requirement.NOT_APPLICABLE:
            continue
        value: float | int = int(raw) if key in _COUNTS else round(raw, _DIGITS.get(key, 4))
        try:
            check_value(key, value)
        except InvalidInput as exc:
            withheld.append(Withheld(key, raw, exc.detail))
            continue
        if key in _POSITIVE and value <= 0:
            withheld.append(Withheld(key, raw, f"{key}: must be positive, got {value}"))
            continue
        recorded.append(Measurement(key, value, entry.unit, measured_at, source))
    return recorded, withheld


def api_body(recorded: Sequence[Measurement]) -> list[dict[str, object]]:
    """Measurements in the management API's shape (POST /management/v3/passports/{id}/measurements, the
    ``measurements`` list that battrace.client.NodeClient.record_measurements sends)."""
    return [
        {
            "key": m.key,
            "value": m.value,
            "unit": m.unit,
            "measuredAt": m.measured_at.isoformat(),
            "source": m.source,
        }
        for m in recorded
    ]
