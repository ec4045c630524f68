"""State of health and resistance over time as SVG, written by hand: a chart is a few dozen elements, which
does not justify a plotting library. PNG: ``battrace chart soh --format png`` renders this SVG with a headless
Chromium when one is installed (battrace.charts.png).

Top panel: measured state of health (points), the fitted model (line), its projection to the exhaustion
threshold at the current usage (dashed) and the 90 % RUL interval (shaded band on the threshold line).
Bottom panel: measured ohmic resistance and its fit. Time runs in years in service.
Pure module: returns text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from battrace.apps.soh.assess import Assessment
from battrace.apps.soh.model import kilocycles

WIDTH, PANEL, MARGIN_LEFT, MARGIN_TOP, GAP = 720, 240, 70, 40, 60
PLOT_WIDTH = WIDTH - MARGIN_LEFT - 30
HEIGHT = MARGIN_TOP + 2 * PANEL + GAP + 70


@dataclass(frozen=True)
class _Axes:
    top: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def clip_id(self) -> str:
        return f"panel{self.top:.0f}"

    def x(self, value: float) -> float:
        low, high = self.x_range
        return MARGIN_LEFT + (value - low) / (high - low) * PLOT_WIDTH

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.top + PANEL - (value - low) / (high - low) * PANEL


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [low, high]."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def _frame(axes: _Axes, title: str, unit: str) -> list[str]:
    out = [
        f'<clipPath id="{axes.clip_id}"><rect x="{MARGIN_LEFT}" y="{axes.top}" width="{PLOT_WIDTH}" '
        f'height="{PANEL}"/></clipPath>',
        f'<text x="{MARGIN_LEFT}" y="{axes.top - 10}" font-size="14" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<rect x="{MARGIN_LEFT}" y="{axes.top}" width="{PLOT_WIDTH}" height="{PANEL}" '
        f'fill="none" stroke="#444"/>',
    ]
    for tick in _ticks(*axes.y_range):
        y = axes.y(tick)
        out.append(
            f'<line x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT + PLOT_WIDTH}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{tick:g}</text>'
        )
    for tick in _ticks(*axes.x_range):
        x = axes.x(tick)
        bottom = axes.top + PANEL
        out.append(f'<text x="{x:.1f}" y="{bottom + 15}" font-size="11" text-anchor="middle">{tick:g}</text>')
    out.append(
        f'<text x="16" y="{axes.top + PANEL / 2}" font-size="11" '
        f'transform="rotate(-90 16 {axes.top + PANEL / 2})" text-anchor="middle">{escape(unit)}</text>'
    )
    return out


def _points(axes: _Axes, xs: Sequence[float], ys: Sequence[float], colour: str) -> list[str]:
    return [
        f'<circle cx="{axes.x(x):.1f}" cy="{axes.y(y):.1f}" r="2.5" fill="{colour}" '
        f'clip-path="url(#{axes.clip_id})"/>'
        for x, y in zip(xs, ys, strict=True)
        if math.isfinite(y)
    ]


def _line(axes: _Axes, xs: Sequence[float], ys: Sequence[float], colour: str, dashed: bool = False) -> str:
    path = " ".join(
        f"{axes.x(x):.1f},{axes.y(y):.1f}" for x, y in zip(xs, ys, strict=True) if math.isfinite(y)
    )
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash} '
        f'clip-path="url(#{axes.clip_id})"/>'
    )


def _range(values: np.ndarray, pad: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    margin = max((high - low) * pad, 1e-9)
    return low - margin, high + margin


def soh_svg(result: Assessment, battery: int) -> str:
    """The two-panel chart for one battery."""
    b, r = battery, result.readings
    valid = r.valid[b]
    years = r.years_in_service()[b][valid]
    kcyc = kilocycles(r)[b][valid]
    rated = r.nameplates[b].rated_capacity_ah
    soh = 100.0 * r.column("capacity")[b][valid] / rated
    threshold = r.nameplates[b].capacity_threshold_for_exhaustion
    now_t, now_q, rate = result.usage.years[b], result.usage.kcycles[b], result.usage.rate[b]
    rul, low, high = result.life.years[b], result.life.low[b], result.life.high[b]
    end = now_t + (min(float(high), 15.0) if math.isfinite(high) else 5.0)
    future = np.linspace(now_t, end, 40)
    coef = result.capacity_fit.coef[b]
    since = int(result.fitted_since[b])  # the fit leaves out readings before a fault's step
    fitted_soh = 100.0 - (coef[0] + coef[1] * np.sqrt(years[since:]) + coef[2] * kcyc[since:])
    projected = 100.0 - (coef[0] + coef[1] * np.sqrt(future) + coef[2] * (now_q + rate * (future - now_t)))
    top = _Axes(MARGIN_TOP, (0.0, float(end)), _range(np.concatenate([soh, [threshold, 100.0]]), 0.05))
    parts = _frame(top, f"{r.battery_ids[b]}: state of health", "% of rated capacity")
    parts.append(_line(top, [0.0, float(end)], [threshold, threshold], "#c0392b", dashed=True))
    if math.isfinite(rul) and math.isfinite(high):
        x0, x1 = top.x(now_t + low), top.x(now_t + high)
        parts.append(
            f'<rect x="{x0:.1f}" y="{top.y(threshold) - 6:.1f}" width="{max(x1 - x0, 1):.1f}" height="12" '
            f'fill="#c0392b" opacity="0.25"><title>90 % interval of the remaining useful life</title></rect>'
        )
    parts += _points(top, years.tolist(), soh.tolist(), "#2c3e50")
    parts.append(_line(top, years[since:].tolist(), fitted_soh.tolist(), "#2980b9"))
    parts.append(_line(top, future.tolist(), projected.tolist(), "#2980b9", dashed=True))
    parts += _resistance_panel(result, b, years, kcyc, float(end))
    return _document(parts, _caption(result, b))


def _resistance_panel(
    result: Assessment, b: int, years: np.ndarray, kcyc: np.ndarray, end: float
) -> list[str]:
    r = result.readings
    ohm = r.column("resistance")[b][r.valid[b]] * 1000.0
    if not np.isfinite(ohm).any():
        return []
    coef = result.resistance_fit.coef[b] * 1000.0
    since = int(result.fitted_since[b])
    fitted = coef[0] + coef[1] * np.sqrt(years[since:]) + coef[2] * kcyc[since:]
    axes = _Axes(MARGIN_TOP + PANEL + GAP, (0.0, end), _range(ohm, 0.1))
    parts = _frame(axes, "ohmic resistance", "mΩ")
    parts += _points(axes, years.tolist(), ohm.tolist(), "#7f8c8d")
    parts.append(_line(axes, years[since:].tolist(), fitted.tolist(), "#8e44ad"))
    parts.append(
        f'<text x="{MARGIN_LEFT + PLOT_WIDTH / 2}" y="{axes.top + PANEL + 34}" font-size="12" '
        f'text-anchor="middle">years in service</text>'
    )
    return parts


def _caption(result: Assessment, b: int) -> str:
    life = result.life
    if not math.isfinite(life.years[b]):
        return "remaining useful life: beyond the model horizon"
    return (
        f"remaining useful life {life.years[b]:.1f} years (90 %: {life.low[b]:.1f}-{life.high[b]:.1f}) "
        f"to {result.readings.nameplates[b].capacity_threshold_for_exhaustion:g} %"
    )


def _document(parts: list[str], caption: str) -> str:
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n{body}\n'
        f'<text x="{MARGIN_LEFT}" y="{HEIGHT - 10}" font-size="12">{escape(caption)}</text>\n</svg>\n'
    )
