"""The Annex VII parameters of Regulation (EU) 2023/1542 at each battery's latest reading.

Part A (state of health): remaining capacity, remaining power capability, remaining round-trip efficiency,
evolution of self-discharge, ohmic resistance; for EV batteries the state of certified energy (SOCE).
Part B (expected lifetime): energy and capacity throughput, full cycles, negative events (deep discharges,
time in and charging in extreme temperatures). Sources: shared/research/battery-passport.md §2.7, §3 rows
53-91. Every array has one entry per battery, NaN where the export did not carry what it needs.
Pure module: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from battrace.apps.soh.model import RECENT_YEARS
from battrace.apps.soh.series import BoolArray, FloatArray, Readings, last_values

# Counters carried over as they stand at the latest reading (Annex VII Part B).
COUNTERS = (
    "capacity_throughput",
    "energy_discharged",
    "full_cycles",
    "fast_charges",
    "deep_discharges",
    "time_above_temperature",
    "time_below_temperature",
    "charging_time_above_temperature",
    "charging_time_below_temperature",
)


@dataclass(frozen=True, eq=False)
class Parameters:
    state_of_health: FloatArray  # remaining capacity over rated capacity, %
    remaining_capacity: FloatArray  # Ah, Annex VII A(1)
    capacity_fade: FloatArray  # points of rated capacity lost, %
    state_of_certified_energy: FloatArray  # %, EV only (UN GTR 22)
    remaining_power_capability: FloatArray  # W, Annex VII A(2)
    power_from_resistance: BoolArray  # bool: power derived from resistance, not measured
    remaining_round_trip_efficiency: FloatArray  # %, Annex VII A(3)
    current_self_discharge_rate: FloatArray  # %/month
    self_discharge_evolution: FloatArray  # % change of the rate since the first (Annex VII A(4))
    ohmic_resistance: FloatArray  # Ω, Annex VII A(5)
    resistance_increase: FloatArray  # % over the initial resistance (Annex IV A(3))
    counters: dict[str, FloatArray]  # Annex VII Part B, latest values


def _first(readings: Readings, name: str) -> FloatArray:
    """Each battery's first reported value of ``name``."""
    column = readings.column(name)
    present = ~np.isnan(column)
    index = np.argmax(present, axis=1)
    values = column[np.arange(column.shape[0]), index]
    return np.where(present.any(axis=1), values, np.nan)


def _initial(readings: Readings, nameplate_attr: str, name: str) -> FloatArray:
    """The nameplate's initial value where stated, else the battery's first reading."""
    stated = readings.per_battery(nameplate_attr)
    return np.where(np.isnan(stated), _first(readings, name), stated)


def round_trip_efficiency(readings: Readings) -> FloatArray:
    """Energy out over energy in across the last RECENT_YEARS, %. Over a year the state of charge at the two
    ends differs by at most one pack's energy against dozens of cycles, so the ratio is the efficiency."""
    years = readings.years_in_service()
    rows = np.arange(years.shape[0])
    last = readings.last_index()
    window = readings.valid & (years >= (years[rows, last] - RECENT_YEARS)[:, None])
    first = np.argmax(window, axis=1)
    charged, discharged = readings.column("energy_charged"), readings.column("energy_discharged")
    into = charged[rows, last] - charged[rows, first]
    out = discharged[rows, last] - discharged[rows, first]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(into > 0, 100.0 * out / into, np.nan)


def _soce(readings: Readings) -> FloatArray:
    """UN GTR 22 SOCE = measured usable energy / certified usable energy. The certified value is a guaranteed
    minimum, so a new pack may measure above it; SOCE is a state of health and reads 100 % there."""
    certified = readings.per_battery("certified_usable_energy_kwh")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.minimum(100.0, 100.0 * last_values(readings, "usable_energy") / certified)


def _power(readings: Readings, resistance: FloatArray, initial_r: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Measured power capability where the BMS reports it; else the original power capability scaled by
    initial / current resistance (at a fixed voltage limit the deliverable power goes as 1/R: the
    approximation Annex IV Part B(4) power fade tests rest on)."""
    measured = last_values(readings, "power_capability")
    original = readings.per_battery("original_power_capability_w")
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = original * initial_r / resistance
    use_derived = np.isnan(measured) & ~np.isnan(derived)
    return np.where(use_derived, derived, measured), use_derived


def parameters(readings: Readings) -> Parameters:
    rated = readings.per_battery("rated_capacity_ah")
    capacity = last_values(readings, "capacity")
    soh = 100.0 * capacity / rated
    resistance = last_values(readings, "resistance")
    initial_r = _initial(readings, "initial_internal_resistance_ohm", "resistance")
    power, derived = _power(readings, resistance, initial_r)
    self_discharge = last_values(readings, "self_discharge_rate")
    initial_sd = _initial(readings, "initial_self_discharge_rate", "self_discharge_rate")
    with np.errstate(divide="ignore", invalid="ignore"):
        evolution = 100.0 * (self_discharge - initial_sd) / initial_sd
        increase = 100.0 * (resistance - initial_r) / initial_r
    counters = {name: last_values(readings, name) for name in COUNTERS}
    # Annex VII B(5): a BMS that does not count full cycles still has the throughput they derive from.
    counters["full_cycles"] = np.where(
        np.isnan(counters["full_cycles"]),
        np.floor(counters["capacity_throughput"] / rated),
        counters["full_cycles"],
    )
    return Parameters(
        state_of_health=soh,
        remaining_capacity=capacity,
        capacity_fade=100.0 - soh,
        state_of_certified_energy=_soce(readings),
        remaining_power_capability=power,
        power_from_resistance=derived,
        remaining_round_trip_efficiency=round_trip_efficiency(readings),
        current_self_discharge_rate=self_discharge,
        self_discharge_evolution=evolution,
        ohmic_resistance=resistance,
        resistance_increase=increase,
        counters=counters,
    )
