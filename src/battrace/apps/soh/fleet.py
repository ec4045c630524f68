"""A synthetic fleet with known ground truth, for tests, the demo and the benchmark. Seeded: the same seed
gives the same fleet on every machine (numpy's PCG64 generator).

Each battery ages by exactly the model of battrace.apps.soh.model (calendar a*sqrt(t) + cycle b*q + offset
c) plus BMS measurement noise, so an estimator's error against ``Truth`` is the estimator's alone. The
numbers are chosen to look like real packs, not to flatter the fit:

* EV packs (70 %): NMC, 180 Ah at 355 V (64 kWh); 20-200 equivalent full cycles a year (median 60), calendar
  fade about 3.5 points per sqrt(year), cycle fade about 20 points per 1000 cycles.
* Stationary storage (30 %): LFP, 280 Ah at 51.2 V; about 300 cycles a year, 2.5 points per sqrt(year),
  5 points per 1000 cycles (LFP's long cycle life).
* BMS noise: capacity 0.4 % of rated (a BMS capacity estimate is good to 0.5-1 %), resistance 1.5 %.
* 5 % abused: hot climate (calendar fade x1.6), deep discharges and charging below the temperature boundary.
* 1 % faulty: from a random month on, capacity drops 6-10 points, resistance +25 %, self-discharge x4 (the
  signature of an internal short). Their curve is not the model's: the estimator tests leave them out and
  the warning tests look for them.
* 3 % put into storage after first life for their last 6 months: no throughput, storage conditions reported.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import numpy as np

from battrace.apps.soh.ingest import FORMAT
from battrace.apps.soh.series import (
    DAYS_PER_YEAR,
    FIELDS,
    BoolArray,
    FloatArray,
    Nameplate,
    Readings,
    to_datetime,
)
from battrace.passport.attributes import BatteryCategory, Requirement, attribute

EV = Nameplate(
    category=BatteryCategory.EV,
    rated_capacity_ah=180.0,
    nominal_voltage_v=355.0,
    capacity_threshold_for_exhaustion=70.0,
    initial_internal_resistance_ohm=0.10,
    original_power_capability_w=150_000.0,
    certified_usable_energy_kwh=60.0,
    initial_self_discharge_rate=2.0,
)
STATIONARY = Nameplate(
    category=BatteryCategory.STATIONARY_STORAGE,
    rated_capacity_ah=280.0,
    nominal_voltage_v=51.2,
    capacity_threshold_for_exhaustion=80.0,
    initial_internal_resistance_ohm=0.02,
    original_power_capability_w=7_000.0,
    initial_self_discharge_rate=1.5,
)
CAPACITY_NOISE = 0.4  # points of rated capacity, one standard deviation
RESISTANCE_NOISE = 0.015  # share of the initial resistance
MONTH_DAYS = DAYS_PER_YEAR / 12
START_DAY = 18_262.0  # 2020-01-01


@dataclass(frozen=True, eq=False)
class Truth:
    """The parameters each battery was generated with (per battery arrays)."""

    a: FloatArray  # calendar fade, points per sqrt(year)
    b: FloatArray  # cycle fade, points per 1000 equivalent full cycles
    c: FloatArray  # first capacity's offset from rated, points
    rate: FloatArray  # mean equivalent full cycles per year, thousands
    r: FloatArray  # (B, 3) resistance coefficients [r0, r1, r2] in Ω
    abused: BoolArray
    fault_month: FloatArray  # month index of the fault, NaN for a sound battery
    step: FloatArray  # capacity lost at the fault, points (0 for a sound battery)
    stored: BoolArray
    round_trip_efficiency: FloatArray  # (B, T) true RTE per month, %
    self_discharge: FloatArray  # (B, T) true rate, %/month

    @property
    def coef(self) -> FloatArray:
        """[c, a, b] of the curve each battery follows now (after a fault, its offset includes the step)."""
        return np.stack([self.c + self.step, self.a, self.b], axis=1)

    @property
    def sound(self) -> BoolArray:
        return np.isnan(self.fault_month)


def generate(
    batteries: int, months: int = 60, seed: int = 7, fault_share: float = 0.01
) -> tuple[Readings, Truth]:
    """``batteries`` batteries with monthly readings from putting into service (month 0) on; ``fault_share``
    of them develop an internal fault (tests raise it to have enough faulty batteries to judge)."""
    rng = np.random.default_rng(seed)
    ev = rng.random(batteries) < 0.7
    abused = rng.random(batteries) < 0.05
    fault = np.where(rng.random(batteries) < fault_share, rng.integers(12, max(months, 13), batteries), -1)
    stored = (rng.random(batteries) < 0.03) & (months > 12)
    truth_a = np.where(ev, 3.5, 2.5) * rng.lognormal(0.0, 0.2, batteries) * np.where(abused, 1.6, 1.0)
    truth_b = np.where(ev, 20.0, 5.0) * rng.lognormal(0.0, 0.2, batteries)
    truth_c = rng.normal(-0.5, 0.5, batteries)  # new packs measure a little above their rating
    rate = np.where(ev, 0.06 * rng.lognormal(0.0, 0.5, batteries), 0.3 * rng.lognormal(0.0, 0.15, batteries))
    years = np.arange(months) / 12.0
    kcycles = _throughput(rng, rate, months, stored)
    fade = truth_c[:, None] + truth_a[:, None] * np.sqrt(years) + truth_b[:, None] * kcycles
    rated = np.where(ev, EV.rated_capacity_ah, STATIONARY.rated_capacity_ah)
    r0 = np.where(ev, 0.10, 0.02) * rng.lognormal(0.0, 0.05, batteries)
    r_coef = np.stack(
        [r0, r0 * 0.04 * rng.lognormal(0, 0.2, batteries), r0 * 0.10 * rng.lognormal(0, 0.2, batteries)],
        axis=1,
    )
    after = (np.arange(months)[None, :] >= fault[:, None]) & (fault[:, None] >= 0)
    step = np.where(fault >= 0, rng.uniform(6, 10, batteries), 0.0)
    fade = fade + np.where(after, step[:, None], 0.0)
    capacity = rated[:, None] * (100.0 - fade - rng.normal(0, CAPACITY_NOISE, fade.shape)) / 100.0
    resistance = r_coef[:, :1] + r_coef[:, 1:2] * np.sqrt(years) + r_coef[:, 2:3] * kcycles
    resistance = resistance * np.where(after, 1.25, 1.0) + r0[:, None] * rng.normal(
        0, RESISTANCE_NOISE, fade.shape
    )
    rte = np.where(ev, 95.0, 94.0)[:, None] - 0.4 * years[None, :]
    self_discharge = (np.where(ev, 2.0, 1.5)[:, None] + 0.05 * years[None, :]) * np.where(after, 4.0, 1.0)
    columns = _columns(rng, ev, abused, stored, rated, kcycles, capacity, resistance, rte, self_discharge)
    plates = tuple(EV if e else STATIONARY for e in ev)
    days = START_DAY + rng.integers(0, 365, batteries)[:, None] + np.arange(months)[None, :] * MONTH_DAYS
    readings = Readings(tuple(f"BAT-{n:06d}" for n in range(batteries)), plates, days, columns)
    truth = Truth(
        truth_a,
        truth_b,
        truth_c,
        rate,
        r_coef,
        abused,
        np.where(fault >= 0, fault.astype(float), np.nan),
        step,
        stored,
        rte,
        self_discharge,
    )
    return readings, truth


def _throughput(rng: np.random.Generator, rate: FloatArray, months: int, stored: BoolArray) -> FloatArray:
    """Cumulative kilocycles: seasonal (+-25 %, more driving and cooling in summer) and month-to-month noise
    (+-20 %), no use in the months of storage."""
    season = 1.0 + 0.25 * np.sin(2 * np.pi * (np.arange(months) - 3) / 12.0)
    monthly = rate[:, None] / 12.0 * season[None, :] * rng.lognormal(0, 0.2, (rate.size, months))
    monthly[:, 0] = 0.0
    in_storage = stored[:, None] & (np.arange(months)[None, :] >= months - 6)
    monthly = np.where(in_storage, 0.0, monthly)
    return np.asarray(np.cumsum(monthly, axis=1))


def _counter(rng: np.random.Generator, monthly_mean: FloatArray) -> FloatArray:
    counts = rng.poisson(np.maximum(monthly_mean, 0.0)).astype(np.float64)
    counts[:, 0] = 0.0
    return np.asarray(np.cumsum(counts, axis=1))


def _columns(
    rng: np.random.Generator,
    ev: BoolArray,
    abused: BoolArray,
    stored: BoolArray,
    rated: FloatArray,
    kcycles: FloatArray,
    capacity: FloatArray,
    resistance: FloatArray,
    rte: FloatArray,
    self_discharge: FloatArray,
) -> dict[str, FloatArray]:
    shape = capacity.shape
    voltage = np.where(ev, EV.nominal_voltage_v, STATIONARY.nominal_voltage_v)[:, None]
    ah = kcycles * 1000.0 * rated[:, None]
    discharged = ah * voltage / 1000.0
    charged = np.cumsum(np.diff(discharged, axis=1, prepend=0.0) / (rte / 100.0), axis=1)
    monthly_cycles = np.diff(kcycles, axis=1, prepend=0.0) * 1000.0
    summer = np.sin(2 * np.pi * (np.arange(shape[1]) - 3) / 12.0)[None, :] > 0.5
    hot = np.where(abused[:, None], 3000.0, np.where(summer, 60.0, 0.0))
    cold = np.where(summer, 0.0, 120.0) + np.where(abused[:, None], 300.0, 0.0)
    fast_share = np.where(ev, rng.uniform(0.0, 0.6, ev.size), 0.0)[:, None]
    storage = stored[:, None] & (np.arange(shape[1])[None, :] >= shape[1] - 6)
    soh = np.minimum(100.0, np.round(100.0 * capacity / rated[:, None] + rng.normal(0, 0.3, shape), 1))
    return {
        "capacity": np.round(capacity, 2),
        "resistance": np.round(resistance, 5),
        "usable_energy": np.where(ev[:, None], np.round(capacity / rated[:, None] * 60.0, 2), np.nan),
        "soh": soh,
        "self_discharge_rate": np.round(self_discharge + rng.normal(0, 0.1, shape).clip(-0.5, 0.5), 2),
        "capacity_throughput": np.round(ah, 1),
        "energy_charged": np.round(charged, 2),
        "energy_discharged": np.round(discharged, 2),
        "full_cycles": np.floor(kcycles * 1000.0),
        "fast_charges": _counter(rng, monthly_cycles * fast_share),
        "deep_discharges": _counter(rng, np.where(abused[:, None], 2.0, 0.02) + 0 * capacity),
        "time_above_temperature": _counter(rng, hot + 0 * capacity),
        "time_below_temperature": _counter(rng, cold + 0 * capacity),
        "charging_time_above_temperature": _counter(rng, 0.1 * hot + 0 * capacity),
        "charging_time_below_temperature": _counter(rng, np.where(abused[:, None], 200.0, 0.1 * cold)),
        "storage_temperature": np.where(storage, np.round(rng.uniform(15, 40, shape), 1), np.nan),
        "storage_soc": np.where(storage, np.round(rng.uniform(20, 100, shape), 0), np.nan),
    }


def as_csv(readings: Readings) -> str:
    """The readings as the CSV export parse_csv reads (every field that has a value somewhere)."""
    names = [f.name for f in FIELDS if f.name in readings.columns]
    units = {f.name: f.unit for f in FIELDS}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["battery_id", "measured_at", *(f"{n} [{units[n]}]" for n in names)])
    valid = readings.valid
    for b, battery_id in enumerate(readings.battery_ids):
        for t in np.flatnonzero(valid[b]):
            values = [readings.columns[n][b, t] for n in names]
            writer.writerow(
                [battery_id, _stamp(readings.days[b, t]), *("" if np.isnan(v) else f"{v:g}" for v in values)]
            )
    return out.getvalue()


def as_json(readings: Readings) -> str:
    """The readings as the JSON export parse_json reads, nameplates as passport attributes."""
    units = {f.name: f.unit for f in FIELDS}
    batteries = []
    for b, battery_id in enumerate(readings.battery_ids):
        rows = []
        for t in np.flatnonzero(readings.valid[b]):
            row: dict[str, object] = {"measured_at": _stamp(readings.days[b, t])}
            for name, column in readings.columns.items():
                if not np.isnan(column[b, t]):
                    row[name] = {"value": float(column[b, t]), "unit": units[name]}
            rows.append(row)
        batteries.append(
            {"battery_id": battery_id, "nameplate": passport_values(readings.nameplates[b]), "readings": rows}
        )
    return json.dumps({"format": FORMAT, "batteries": batteries}, indent=1)


def passport_values(plate: Nameplate) -> dict[str, object]:
    """A nameplate as the passport attributes it comes from."""
    values: dict[str, object] = {
        "battery_category": plate.category.value,
        "rated_capacity": plate.rated_capacity_ah,
        "nominal_voltage": plate.nominal_voltage_v,
        "capacity_threshold_for_exhaustion": plate.capacity_threshold_for_exhaustion,
        "initial_internal_resistance": plate.initial_internal_resistance_ohm,
        "original_power_capability": plate.original_power_capability_w,
        "certified_usable_energy": plate.certified_usable_energy_kwh,
        "initial_self_discharge_rate": plate.initial_self_discharge_rate,
    }
    return {k: v for k, v in values.items() if v is not None}


def passport_model_values(plate: Nameplate) -> dict[str, object]:
    """The nameplate values a passport model of the plate's category can hold: an EV passport has no initial
    self-discharge rate (Annex XIII, "-" for EV), though the fleet still simulates one."""
    return {
        k: v
        for k, v in passport_values(plate).items()
        if attribute(k).requirement(plate.category) is not Requirement.NOT_APPLICABLE
    }


def _stamp(days: float) -> str:
    return to_datetime(float(days)).isoformat().replace("+00:00", "Z")
