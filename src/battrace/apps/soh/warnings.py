"""Fault and abuse warnings from a battery's readings.

Three kinds: ``fault`` (the battery itself looks broken: a step loss of capacity, a resistance jump, a rising
self-discharge, a BMS that disagrees with the measured capacity), ``abuse`` (use outside the design
conditions: deep discharges, time in or charging at extreme temperatures; the negative events of Annex VII
Part B(4)) and ``condition`` (nothing wrong, but a buyer should know: exhausted, fast fade, heavy fast
charging, poor storage after first life). Thresholds are module constants, each with its reason; they sit
many standard deviations of BMS noise away from normal readings so that a sound, well-used battery is not
flagged. Pure module: no I/O; all batteries at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from battrace.apps.soh.model import RECENT_YEARS, Life
from battrace.apps.soh.params import Parameters
from battrace.apps.soh.series import BoolArray, FloatArray, Readings, last_values

# Capacity noise of a BMS estimate is about 0.5 points, so a month-to-month difference has sigma ~0.7;
# ageing costs well under 1 point a month. A 4-point drop between two readings is a step, not ageing.
CAPACITY_STEP = 4.0  # points of rated capacity
# Resistance readings scatter ~1.5 % of the initial value; ageing adds well under 1 % a month.
RESISTANCE_STEP = 15.0  # % of the initial resistance between two readings
# A self-discharge at twice its initial rate points to an internal (micro-)short; ageing alone raises it a
# few per cent a year.
SELF_DISCHARGE_FACTOR = 2.0
# Above ~5 points a year a pack loses a fifth of its capacity in four years: worth a look whatever the cause.
RAPID_FADE = 5.0  # points per year, judged once a battery has a year of history
# Normal use sees a deep discharge a few times in a battery's life; three in a year is a pattern.
DEEP_DISCHARGES_PER_YEAR = 3.0
# A hot summer puts a parked pack above its boundary for some hours; over 100 hours a year is a climate or
# a cooling problem (calendar ageing roughly doubles per 10 °C).
HOT_MINUTES_PER_YEAR = 6000.0
# Charging below the lower boundary plates lithium; a cold-start top-up is minutes, ten hours is abuse.
COLD_CHARGING_MINUTES_PER_YEAR = 600.0
FAST_CHARGE_SHARE = 0.5  # fast charges over full cycles in the last year
# Storage after first life: above 35 °C or at a high state of charge calendar ageing speeds up; below 10 %
# the pack risks deep discharge through self-discharge.
STORAGE_MAX_TEMPERATURE = 35.0
STORAGE_SOC = (10.0, 90.0)
BMS_MISMATCH = 5.0  # points between the BMS's SOH and remaining/rated capacity


@dataclass(frozen=True)
class SohWarning:
    code: str
    kind: str  # fault | abuse | condition
    message: str


@dataclass(frozen=True, eq=False)
class Flags:
    """Per code: which batteries it fires for (B,) and the number shown in its message (B,)."""

    fired: dict[str, BoolArray]
    evidence: dict[str, FloatArray]


# code, kind, message template, scale applied to the evidence before formatting
Rule = tuple[str, str, str, float]

RULES: tuple[Rule, ...] = (
    ("capacity_step", "fault", "capacity fell {:.1f} points of rated capacity between two readings", 1.0),
    ("resistance_jump", "fault", "resistance rose {:.0f} % of its initial value between two readings", 1.0),
    ("self_discharge_high", "fault", "self-discharge is {:.1f}x its initial rate (internal short?)", 1.0),
    ("bms_soh_mismatch", "fault", "the BMS state of health is {:.1f} points off the measured capacity", 1.0),
    ("deep_discharge", "abuse", "{:.0f} deep discharges in the last year", 1.0),
    ("extreme_temperature", "abuse", "{:.0f} h above the temperature boundary in the last year", 1 / 60),
    (
        "charging_in_cold",
        "abuse",
        "{:.1f} h charging below the temperature boundary in the last year",
        1 / 60,
    ),
    ("exhausted", "condition", "capacity is at {:.1f} %, at or below the exhaustion threshold", 1.0),
    ("rapid_fade", "condition", "capacity fades {:.1f} points a year", 1.0),
    ("fast_charge_heavy", "condition", "{:.0%} of last year's cycles were fast charges", 1.0),
    ("storage_conditions", "condition", "stored at {:.0f} °C or at a state of charge outside 10-90 %", 1.0),
)


def _last_year(readings: Readings, name: str) -> FloatArray:
    """How much a counter grew over the last RECENT_YEARS."""
    years = readings.years_in_service()
    rows, last = np.arange(years.shape[0]), readings.last_index()
    window = readings.valid & (years >= (years[rows, last] - RECENT_YEARS)[:, None])
    first = np.argmax(window, axis=1)
    column = readings.column(name)
    return np.asarray(column[rows, last] - column[rows, first])


def _largest_step(column: FloatArray, scale: FloatArray) -> FloatArray:
    """Largest rise between consecutive readings, in % of ``scale`` (B,); 0 when fewer than two readings."""
    with np.errstate(invalid="ignore"):
        steps = np.diff(column, axis=1) / scale[:, None] * 100.0
    steps = np.where(np.isnan(steps), -np.inf, steps)
    largest = steps.max(axis=1) if steps.shape[1] else np.full(column.shape[0], -np.inf)
    return np.where(np.isfinite(largest), largest, 0.0)


def capacity_steps(readings: Readings) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Each battery's largest capacity drop between consecutive readings (points of rated capacity) and the
    column of the reading just after it: where a fault began."""
    rated = readings.per_battery("rated_capacity_ah")
    with np.errstate(invalid="ignore"):
        drops = -np.diff(readings.column("capacity"), axis=1) / rated[:, None] * 100.0
    drops = np.where(np.isnan(drops), -np.inf, drops)
    if not drops.shape[1]:
        return np.zeros(rated.size), np.zeros(rated.size, dtype=np.intp)
    index = np.argmax(drops, axis=1)
    largest = drops[np.arange(rated.size), index]
    return np.where(np.isfinite(largest), largest, 0.0), np.asarray(index + 1, dtype=np.intp)


def _storage(readings: Readings) -> tuple[BoolArray, FloatArray]:
    temperature, soc = last_values(readings, "storage_temperature"), last_values(readings, "storage_soc")
    with np.errstate(invalid="ignore"):
        bad = (temperature > STORAGE_MAX_TEMPERATURE) | (soc < STORAGE_SOC[0]) | (soc > STORAGE_SOC[1])
    return bad, temperature


def detect(readings: Readings, params: Parameters, life: Life) -> Flags:
    rated = readings.per_battery("rated_capacity_ah")
    initial_r = params.ohmic_resistance / (1.0 + params.resistance_increase / 100.0)
    initial_sd = params.current_self_discharge_rate / (1.0 + params.self_discharge_evolution / 100.0)
    evidence = {
        "capacity_step": capacity_steps(readings)[0],
        "resistance_jump": _largest_step(readings.column("resistance"), initial_r),
        "self_discharge_high": params.current_self_discharge_rate / initial_sd,
        "bms_soh_mismatch": np.abs(last_values(readings, "soh") - params.state_of_health),
        "deep_discharge": _last_year(readings, "deep_discharges"),
        "extreme_temperature": _last_year(readings, "time_above_temperature"),
        "charging_in_cold": _last_year(readings, "charging_time_below_temperature"),
        "exhausted": params.state_of_health,
        "rapid_fade": life.fade_rate,
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        evidence["fast_charge_heavy"] = _last_year(readings, "fast_charges") / _last_year(
            readings, "full_cycles"
        )
    storage_bad, evidence["storage_conditions"] = _storage(readings)
    threshold = readings.per_battery("capacity_threshold_for_exhaustion")
    has_year = readings.years_in_service()[np.arange(rated.size), readings.last_index()] >= 1.0
    with np.errstate(invalid="ignore"):
        fired = {
            "capacity_step": evidence["capacity_step"] > CAPACITY_STEP,
            "resistance_jump": evidence["resistance_jump"] > RESISTANCE_STEP,
            "self_discharge_high": evidence["self_discharge_high"] > SELF_DISCHARGE_FACTOR,
            "bms_soh_mismatch": evidence["bms_soh_mismatch"] > BMS_MISMATCH,
            "deep_discharge": evidence["deep_discharge"] >= DEEP_DISCHARGES_PER_YEAR,
            "extreme_temperature": evidence["extreme_temperature"] > HOT_MINUTES_PER_YEAR,
            "charging_in_cold": evidence["charging_in_cold"] > COLD_CHARGING_MINUTES_PER_YEAR,
            "exhausted": evidence["exhausted"] <= threshold,
            "rapid_fade": has_year & (evidence["rapid_fade"] > RAPID_FADE),
            "fast_charge_heavy": evidence["fast_charge_heavy"] > FAST_CHARGE_SHARE,
            "storage_conditions": storage_bad,
        }
    return Flags(fired, evidence)


def warnings_for(flags: Flags, battery: int) -> list[SohWarning]:
    """One battery's warnings, in RULES order."""
    return [
        SohWarning(code, kind, template.format(float(flags.evidence[code][battery]) * scale))
        for code, kind, template, scale in RULES
        if flags.fired[code][battery]
    ]


def any_of_kind(flags: Flags, kind: str) -> BoolArray:
    """Batteries with at least one warning of ``kind`` (B,)."""
    codes = [rule[0] for rule in RULES if rule[1] == kind]
    return np.asarray(np.logical_or.reduce([flags.fired[c] for c in codes]), dtype=np.bool_)
