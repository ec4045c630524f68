"""Residual value of a battery for re-use or repurposing (Art. 14: the Annex VII data exist so that a buyer
can judge exactly this), with every assumption returned beside the figure.

The valuation is a replacement-cost one: a second-life battery is worth what the storage service it still
gives would cost with new equipment, less what it costs to repurpose it, and never less than what a
recycler pays for it::

    energy_now        = remaining capacity x nominal voltage                            [kWh]
    second_life_years = years until the fitted fade model (model.py) reaches the second-life end, at the
                        second-life cycle rate, capped at the reference life
    reuse_value       = energy_now x (new price x second_life_years / reference life - repurposing cost)
                        x (1 - abuse discount if an abuse warning fired)
    value             = max(reuse_value, recycling value x energy_now); route = reuse or recycle

A battery with a fault warning is routed to recycling: a repurposer would have to open it anyway (Art. 14 and
the safety evaluation of repurposing). The low/high figures use the 90 % interval of second_life_years: they
show how well the curve is known, not market risk. The default prices are illustrative round figures inside
published ranges (new stationary LFP storage 150-300 EUR/kWh in 2024; repurposing 25-60 EUR/kWh, NREL
Neubauer et al. 2015; recycler payments 0-10 EUR/kWh by chemistry) and are meant to be overridden.
Pure module: no I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from battrace.apps.soh.model import Fit, Usage, remaining_life
from battrace.apps.soh.params import Parameters
from battrace.apps.soh.series import BoolArray, FloatArray, Readings


@dataclass(frozen=True)
class Assumptions:
    new_storage_price_eur_per_kwh: float = 200.0
    reference_life_years: float = 10.0  # the life a buyer of new storage gets for that price
    repurposing_cost_eur_per_kwh: float = 40.0
    recycling_value_eur_per_kwh: float = 3.0
    second_life_end_soh: float = 60.0  # % of rated capacity at which stationary second life ends
    second_life_cycles_per_year: float = 250.0  # about one equivalent full cycle a day
    abuse_discount: float = 0.15  # share taken off when the history shows abuse

    def listed(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class Valuation:
    value_eur: FloatArray
    low_eur: FloatArray
    high_eur: FloatArray
    second_life_years: FloatArray
    route: npt.NDArray[np.str_]  # "reuse" | "recycle" | "unknown"
    assumptions: Assumptions


def _reuse(energy: FloatArray, years: FloatArray, a: Assumptions, discount: FloatArray) -> FloatArray:
    share = np.minimum(years, a.reference_life_years) / a.reference_life_years
    per_kwh = a.new_storage_price_eur_per_kwh * share - a.repurposing_cost_eur_per_kwh
    return np.asarray(energy * per_kwh * (1.0 - discount))


def residual_value(
    readings: Readings,
    params: Parameters,
    fit_: Fit,
    now: Usage,
    fault: BoolArray,
    abuse: BoolArray,
    assumptions: Assumptions | None = None,
) -> Valuation:
    a = assumptions or Assumptions()
    second_life = Usage(now.years, now.kcycles, np.full(now.rate.shape, a.second_life_cycles_per_year / 1000))
    life = remaining_life(fit_, second_life, np.full(now.rate.shape, a.second_life_end_soh))
    voltage = readings.per_battery("nominal_voltage_v")
    energy = params.remaining_capacity * voltage / 1000.0
    discount = np.where(abuse, a.abuse_discount, 0.0)
    floor = energy * a.recycling_value_eur_per_kwh
    # inf (the end is beyond the model's horizon) counts as the reference life through the cap.
    central, low, high = (_reuse(energy, y, a, discount) for y in (life.years, life.low, life.high))
    reusable = ~fault & np.isfinite(central) & (central > floor)
    # A faulty battery goes to recycling whether or not its curve could be fitted (a late fault leaves too
    # few readings after the step to fit).
    known = ~np.isnan(energy) & (fault | ~np.isnan(life.years))
    route = np.where(~known, "unknown", np.where(reusable, "reuse", "recycle"))

    def pick(reuse: FloatArray) -> FloatArray:
        return np.where(known, np.where(reusable, np.maximum(reuse, floor), floor), np.nan)

    return Valuation(pick(central), pick(low), pick(high), life.years, route, a)
