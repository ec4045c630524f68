"""SVG bar chart of rates against their targets (material recovery per element, recycling efficiency,
collection): one bar per rate on a 0-100 % axis, the target drawn as a dashed line across its bar.

A standalone SVG (colours inline, no stylesheet needed) with a title and a description stating every value in
words (WCAG 2.2 SC 1.1.1); whether a bar meets its target is written above it, not told by colour alone.
Every text is escaped. Pure module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape

from battrace.apps.recycling.rates import Rate

WIDTH, HEIGHT = 640, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 16, 64, 40
_COLOURS = {True: "#2e7d32", False: "#c62828", None: "#607d8b"}  # meets / misses / no target
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


def _verdict(rate: Rate) -> str:
    if rate.meets is None:
        return "no target"
    return "meets" if rate.meets else "below target"


def _summary(rates: Mapping[str, Rate]) -> str:
    parts = []
    for label, rate in rates.items():
        target = f", target {rate.target:g} %" if rate.target is not None else ", no target"
        parts.append(f"{label} {rate.percent:.1f} %{target} ({_verdict(rate)})")
    return "; ".join(parts) + "."


def _axis(y: float, percent: int) -> str:
    return (
        f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
        f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{percent} %</text>'
    )


def _bar(x: float, width: float, label: str, rate: Rate, base: float, plot_h: float) -> str:
    top = base - min(max(rate.percent, 0.0), 100.0) / 100 * plot_h
    # The labels sit above the bar and above its target line, so neither hides the other.
    ty = base - rate.target / 100 * plot_h if rate.target is not None else top
    above = min(top, ty)
    centre = x + width / 2
    parts = [
        f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" height="{base - top:.1f}" '
        f'fill="{_COLOURS[rate.meets]}"><title>{escape(label)}: {rate.percent:.1f} %</title></rect>',
        f'<text x="{centre:.1f}" y="{above - 18:.1f}" font-size="12" text-anchor="middle">'
        f"{rate.percent:.1f} %</text>",
        f'<text x="{centre:.1f}" y="{above - 6:.1f}" font-size="10" text-anchor="middle">'
        f"{escape(_verdict(rate))}</text>",
        f'<text x="{centre:.1f}" y="{base + 16:.1f}" font-size="12" text-anchor="middle">'
        f"{escape(label)}</text>",
    ]
    if rate.target is not None:
        parts.append(
            f'<line class="target" x1="{x - 6:.1f}" y1="{ty:.1f}" x2="{x + width + 6:.1f}" y2="{ty:.1f}" '
            f'stroke="#000" stroke-width="2" stroke-dasharray="5 3"><title>target {rate.target:g} %</title>'
            "</line>"
        )
    return "".join(parts)


def rates_chart(rates: Mapping[str, Rate], *, title: str, ident: str = "rates") -> str:
    """The SVG document for ``rates`` (label -> Rate), in the order given."""
    safe_id = _SAFE_ID.sub("-", ident)
    plot_h = HEIGHT - _TOP - _BOTTOM
    base = HEIGHT - _BOTTOM
    slot = (WIDTH - _LEFT - _RIGHT) / max(len(rates), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-labelledby="{safe_id}-title {safe_id}-desc" '
        'font-family="sans-serif">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(_summary(rates))}</desc>',
        f'<text x="{_LEFT}" y="18" font-size="14">{escape(title)}</text>',
        *(_axis(base - p / 100 * plot_h, p) for p in (0, 25, 50, 75, 100)),
    ]
    for n, (label, rate) in enumerate(rates.items()):
        x = _LEFT + n * slot + slot * 0.2
        parts.append(_bar(x, slot * 0.6, label, rate, base, plot_h))
    parts.append("</svg>")
    return "".join(parts)
