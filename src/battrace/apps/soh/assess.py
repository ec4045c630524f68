"""One call from readings to everything the issue asks for: Annex VII parameters, fade and resistance rates,
remaining useful life with its interval, warnings and residual value; and one battery's report as plain data.
Pure module: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from battrace.apps.soh import model
from battrace.apps.soh.params import Parameters, parameters
from battrace.apps.soh.series import FloatArray, IndexArray, Readings, to_datetime
from battrace.apps.soh.value import Assumptions, Valuation, residual_value
from battrace.apps.soh.warnings import (
    CAPACITY_STEP,
    Flags,
    any_of_kind,
    capacity_steps,
    detect,
    warnings_for,
)

MODEL_STATEMENT = (
    "fade = c + a*sqrt(years) + b*kilocycles, least squares per battery; "
    "usage goes on at last year's rate; 90 % interval by the delta method"
)


@dataclass(frozen=True, eq=False)
class Assessment:
    readings: Readings
    params: Parameters
    capacity_fit: model.Fit
    resistance_fit: model.Fit
    usage: model.Usage
    life: model.Life
    resistance_rate: FloatArray  # % of the initial resistance per year, now
    fitted_since: IndexArray  # first reading each fit used (after a capacity step), 0 for all
    flags: Flags
    valuation: Valuation


def assess(readings: Readings, assumptions: Assumptions | None = None) -> Assessment:
    params = parameters(readings)
    # After a step loss of capacity (a fault) the battery follows a new curve: fit only what came after.
    step, after = capacity_steps(readings)
    since = np.where(step > CAPACITY_STEP, after, 0)
    capacity_fit = model.fit_capacity(readings, since)
    resistance_fit = model.fit_resistance(readings, since)
    now = model.usage(readings)
    threshold = readings.per_battery("capacity_threshold_for_exhaustion")
    life = model.remaining_life(capacity_fit, now, threshold)
    initial_r = params.ohmic_resistance / (1.0 + params.resistance_increase / 100.0)
    resistance_rate = 100.0 * model.slope(resistance_fit, now, now.years) / initial_r
    flags = detect(readings, params, life)
    valuation = residual_value(
        readings,
        params,
        capacity_fit,
        now,
        any_of_kind(flags, "fault"),
        any_of_kind(flags, "abuse"),
        assumptions,
    )
    return Assessment(
        readings, params, capacity_fit, resistance_fit, now, life, resistance_rate, since, flags, valuation
    )


def _num(value: object, digits: int = 4) -> float | None:
    """A JSON-safe number: NaN becomes None (not reported); inf stays a string-free None with a note."""
    number = float(value)  # type: ignore[arg-type]
    return None if not math.isfinite(number) else round(number, digits)


def report(result: Assessment, battery: int) -> dict[str, Any]:
    """One battery's assessment as JSON-ready data (CLI output, API body)."""
    p, life, val, r = result.params, result.life, result.valuation, result.readings
    b = battery
    beyond = bool(np.isinf(life.years[b]))
    return {
        "battery_id": r.battery_ids[b],
        "assessed_at": to_datetime(float(r.days[b, r.last_index()[b]])).isoformat(),
        "annex_vii_part_a": {
            "state_of_health_percent": _num(p.state_of_health[b], 2),
            "remaining_capacity_ah": _num(p.remaining_capacity[b], 2),
            "state_of_certified_energy_percent": _num(p.state_of_certified_energy[b], 2),
            "remaining_power_capability_w": _num(p.remaining_power_capability[b], 0),
            "power_capability_derived_from_resistance": bool(p.power_from_resistance[b]),
            "remaining_round_trip_efficiency_percent": _num(p.remaining_round_trip_efficiency[b], 2),
            "current_self_discharge_rate_percent_per_month": _num(p.current_self_discharge_rate[b], 3),
            "self_discharge_evolution_percent": _num(p.self_discharge_evolution[b], 2),
            "ohmic_resistance_ohm": _num(p.ohmic_resistance[b], 6),
        },
        "annex_vii_part_b": {name: _num(value[b], 2) for name, value in p.counters.items()},
        "rates": {
            "capacity_fade_points_per_year": _num(life.fade_rate[b], 3),
            "resistance_increase_percent_per_year": _num(result.resistance_rate[b], 3),
            "resistance_increase_percent": _num(p.resistance_increase[b], 2),
        },
        "remaining_useful_life": {
            "model": MODEL_STATEMENT,
            "threshold_percent": r.nameplates[b].capacity_threshold_for_exhaustion,
            "years": None if beyond else _num(life.years[b], 2),
            "interval_90_years": [_num(life.low[b], 2), None if beyond else _num(life.high[b], 2)],
            "beyond_horizon_years": model.HORIZON_YEARS if beyond else None,
            "coefficients_c_a_b": [_num(v, 4) for v in result.capacity_fit.coef[b]],
            "residual_sigma_points": _num(result.capacity_fit.sigma[b], 3),
            "fitted_from": to_datetime(float(r.days[b, result.fitted_since[b]])).isoformat(),
        },
        "warnings": [w.__dict__ for w in warnings_for(result.flags, b)],
        "residual_value": {
            "route": str(val.route[b]),
            "value_eur": _num(val.value_eur[b], 0),
            "interval_90_eur": [_num(val.low_eur[b], 0), _num(val.high_eur[b], 0)],
            "second_life_years": _num(val.second_life_years[b], 2),
            "assumptions": val.assumptions.listed(),
        },
    }
