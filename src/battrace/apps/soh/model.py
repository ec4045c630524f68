"""The degradation model, fitted per battery by least squares, and the remaining useful life it implies.

Model (semi-empirical calendar + cycle ageing, the usual first-order form for lithium-ion cells, e.g.
Schmalstieg et al., J. Power Sources 257 (2014), with the calendar term's sqrt(t) from SEI growth)::

    fade(t) = c + a * sqrt(t) + b * q(t)          [percentage points of rated capacity]
    fade    = 100 - 100 * capacity / rated capacity

t is years in service, q the equivalent full cycles so far in thousands (capacity throughput / rated
capacity / 1000). a is the calendar-ageing coefficient (points per sqrt(year)), b the cycle-ageing one
(points per 1000 equivalent full cycles), c the offset of the battery's first capacity from its rating.
The same design fits the resistance: R(t) = r0 + r1 * sqrt(t) + r2 * q(t).

The fit is ordinary least squares over the battery's readings; its residual variance gives the parameters'
covariance. The remaining useful life (RUL) is the time until fade reaches 100 - capacity threshold for
exhaustion (Annex XIII 1(k)), with q growing at the battery's rate over its last year (stated assumption: the
usage goes on as it was). Its 90 % interval comes from the parameter covariance by the delta method: it says
how well the curve is known, not how the future use will change.
Pure module: no I/O. Every function works on all batteries at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from battrace.apps.soh.series import BoolArray, FloatArray, IndexArray, Readings

MIN_READINGS = 6  # three parameters and at least three degrees of freedom for the residual variance
Z90 = 1.6448536269514722  # two-sided 90 % normal quantile
RECENT_YEARS = 1.0  # window for the usage rate that is projected forward
HORIZON_YEARS = 50.0  # an RUL beyond this is reported as "not reached" (inf)


@dataclass(frozen=True, eq=False)
class Fit:
    """Per battery: coefficients (B, 3) for [1, sqrt(t), q], their covariance (B, 3, 3), the residual
    standard deviation, and whether the battery had enough readings (``ok``)."""

    coef: FloatArray
    cov: FloatArray
    sigma: FloatArray
    ok: BoolArray

    def at(self, sqrt_t: FloatArray, q: FloatArray) -> FloatArray:
        return np.asarray(self.coef[:, 0] + self.coef[:, 1] * sqrt_t + self.coef[:, 2] * q)


@dataclass(frozen=True, eq=False)
class Usage:
    """Where each battery stands now: years in service, thousands of equivalent full cycles, and the
    cycle rate (thousands per year) over the last RECENT_YEARS."""

    years: FloatArray
    kcycles: FloatArray
    rate: FloatArray


@dataclass(frozen=True, eq=False)
class Life:
    """Remaining useful life in years (inf when the threshold is not reached within HORIZON_YEARS, NaN
    when the battery could not be fitted) and its 90 % interval."""

    years: FloatArray
    low: FloatArray
    high: FloatArray
    fade_rate: FloatArray  # capacity fade rate now, percentage points per year


def kilocycles(readings: Readings) -> FloatArray:
    """Equivalent full cycles in thousands: capacity throughput over rated capacity."""
    rated = readings.per_battery("rated_capacity_ah")
    return np.asarray(readings.column("capacity_throughput") / rated[:, None] / 1000.0)


def fade_points(readings: Readings) -> FloatArray:
    """Capacity fade in percentage points of rated capacity, per reading."""
    rated = readings.per_battery("rated_capacity_ah")
    return np.asarray(100.0 - 100.0 * readings.column("capacity") / rated[:, None])


def fit(years: FloatArray, kcycles: FloatArray, y: FloatArray) -> Fit:
    """Least squares of y on [1, sqrt(t), q] per battery (row), skipping NaN readings."""
    mask = ~(np.isnan(years) | np.isnan(kcycles) | np.isnan(y))
    design = np.stack([np.ones_like(years), np.sqrt(np.clip(years, 0.0, None)), kcycles], axis=-1)
    design = np.where(mask[..., None], design, 0.0)
    target = np.where(mask, y, 0.0)
    n = mask.sum(axis=1)
    gram = np.einsum("btk,btl->bkl", design, design)
    ok = (n >= MIN_READINGS) & (np.abs(np.linalg.det(gram)) > 1e-12)
    # A singular Gram matrix (too few readings, or no variation) gets the identity so that the batched
    # solve runs; its rows are marked not ok and come out NaN.
    gram = np.where(ok[:, None, None], gram, np.eye(3))
    inverse = np.linalg.inv(gram)
    coef = np.einsum("bkl,bl->bk", inverse, np.einsum("btk,bt->bk", design, target))
    residual = np.where(mask, target - np.einsum("btk,bk->bt", design, coef), 0.0)
    dof = np.maximum(n - 3, 1)
    variance = (residual**2).sum(axis=1) / dof
    nan = np.where(ok, 1.0, np.nan)
    return Fit(coef * nan[:, None], inverse * (variance * nan)[:, None, None], np.sqrt(variance) * nan, ok)


def usage(readings: Readings) -> Usage:
    """Each battery's years, kilocycles and cycle rate at its latest reading."""
    years, kcycles = readings.years_in_service(), kilocycles(readings)
    rows = np.arange(years.shape[0])
    last = readings.last_index()
    now_t, now_q = years[rows, last], kcycles[rows, last]
    # The rate over the last RECENT_YEARS: from the earliest reading in that window to the latest.
    in_window = readings.valid & (years >= (now_t - RECENT_YEARS)[:, None])
    first = np.argmax(in_window, axis=1)
    span = now_t - years[rows, first]
    rate = np.where(span > 0, (now_q - kcycles[rows, first]) / np.where(span > 0, span, 1.0), 0.0)
    return Usage(now_t, now_q, rate)


def _from(values: FloatArray, since: IndexArray | None) -> FloatArray:
    """``values`` with each battery's readings before column ``since`` blanked out."""
    if since is None:
        return values
    return np.where(np.arange(values.shape[1])[None, :] >= since[:, None], values, np.nan)


def fit_capacity(readings: Readings, since: IndexArray | None = None) -> Fit:
    """The capacity fade fit; ``since`` (per battery) leaves out readings before a fault's step, whose curve
    is not the one the battery follows now."""
    return fit(readings.years_in_service(), kilocycles(readings), _from(fade_points(readings), since))


def fit_resistance(readings: Readings, since: IndexArray | None = None) -> Fit:
    return fit(readings.years_in_service(), kilocycles(readings), _from(readings.column("resistance"), since))


def time_to(fit_: Fit, now: Usage, target: FloatArray) -> FloatArray:
    """Years in service at which fade reaches ``target`` (points) with q growing at ``now.rate``: the positive
    root of  b*r*s^2 + a*s + (c + b*(q0 - r*t0) - target) = 0  in s = sqrt(t). inf when never reached."""
    c, a, b = fit_.coef[:, 0], fit_.coef[:, 1], fit_.coef[:, 2]
    quad = b * now.rate
    lin = a
    const = c + b * (now.kcycles - now.rate * now.years) - target
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = lin * lin - 4.0 * quad * const
        root_q = (-lin + np.sqrt(disc)) / (2.0 * quad)
        root_l = -const / lin
    s = np.where(np.abs(quad) > 1e-12, root_q, root_l)
    t = s * s
    reached = np.isfinite(t) & (s >= 0) & (t <= now.years + HORIZON_YEARS)
    return np.where(fit_.ok, np.where(reached, t, np.inf), np.nan)


def slope(fit_: Fit, now: Usage, t: FloatArray) -> FloatArray:
    """d(fade)/dt at t, points per year, with q growing at now.rate."""
    with np.errstate(divide="ignore", invalid="ignore"):
        calendar = fit_.coef[:, 1] / (2.0 * np.sqrt(np.maximum(t, 1e-6)))
    return np.asarray(calendar + fit_.coef[:, 2] * now.rate)


def remaining_life(fit_: Fit, now: Usage, threshold: FloatArray) -> Life:
    """RUL to the capacity threshold for exhaustion (% of rated), with its 90 % delta-method interval."""
    target = 100.0 - threshold
    t_end = time_to(fit_, now, target)
    finite = np.isfinite(t_end)
    t_safe = np.where(finite, t_end, now.years)
    q_end = now.kcycles + now.rate * (t_safe - now.years)
    gradient = np.stack([np.ones_like(t_safe), np.sqrt(t_safe), q_end], axis=-1)
    variance = np.einsum("bk,bkl,bl->b", gradient, fit_.cov, gradient)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = Z90 * np.sqrt(variance) / slope(fit_, now, t_safe)
    rul = np.maximum(t_end - now.years, 0.0)
    low = np.where(finite, np.maximum(rul - np.abs(spread), 0.0), rul)
    high = np.where(finite, rul + np.abs(spread), rul)
    already = fit_.at(np.sqrt(now.years), now.kcycles) >= target
    return Life(
        np.where(already & fit_.ok, 0.0, rul),
        np.where(already & fit_.ok, 0.0, low),
        high,
        slope(fit_, now, now.years),
    )
