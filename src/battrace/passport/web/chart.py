"""Server-side SVG charts for the passport viewer: a line chart of a dynamic attribute over time (state of
health) and a stacked bar of the carbon footprint life-cycle stage shares (Art. 7(1)(e)).

Drawn on the server so the page needs no script and prints as shown. Every text that reaches the SVG is
escaped here (the result is trusted Markup in the templates). Each chart is an ``img`` role with a title and
a description that states the data in words (WCAG 2.2 SC 1.1.1); the viewer also lists the points in a
table. Pure module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

from battrace.passport.web.i18n import number

WIDTH, HEIGHT = 640, 252
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 28, 34
# Segment colours live in the stylesheet (classes seg-0..seg-4), shared with the legend beside the bar.
SEGMENTS = 5
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


def _nice_step(span: float, ticks: int = 4) -> float:
    """A 1, 2 or 5 x 10^n step giving about ``ticks`` intervals over ``span``."""
    raw = span / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _y_range(values: Sequence[float], percent: bool) -> tuple[float, float, float]:
    """(low, high, step): 0-100 for a percentage; otherwise from 0 (or the minimum when negative) to a
    rounded-up maximum, so a small fade is not drawn as a cliff."""
    if percent:
        return 0.0, 100.0, 25.0
    low = min(0.0, min(values))
    high = max(values)
    if high <= low:
        high = low + 1.0
    step = _nice_step(high - low)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def line_chart(
    points: Sequence[tuple[datetime, float]],
    *,
    ident: str,
    title: str,
    unit: str,
    percent: bool,
    summary: str,
) -> Markup:
    """An SVG line chart of ``points`` (oldest first). ``summary`` is the spoken description."""
    if not points:
        return Markup("")
    safe_id = _SAFE_ID.sub("-", ident)
    values = [value for _, value in points]
    low, high, step = _y_range(values, percent)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    start, end = points[0][0].timestamp(), points[-1][0].timestamp()

    def x(when: datetime) -> float:
        if end == start:
            return _LEFT + plot_w / 2
        return _LEFT + (when.timestamp() - start) / (end - start) * plot_w

    def y(value: float) -> float:
        return _TOP + (high - value) / (high - low) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(summary)}</desc>',
    ]
    tick = low
    while tick <= high + step / 1000:
        ty = y(tick)
        parts.append(f'<line class="grid" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{escape(number(round(tick, 6)))}</text>"
        )
        tick += step
    parts.append(
        f'<text class="tick" x="{_LEFT}" y="{HEIGHT - 10}">{escape(points[0][0].date().isoformat())}</text>'
    )
    if len(points) > 1:
        parts.append(
            f'<text class="tick" x="{WIDTH - _RIGHT}" y="{HEIGHT - 10}" text-anchor="end">'
            f"{escape(points[-1][0].date().isoformat())}</text>"
        )
    # The unit sits above the axis labels, where a long one ("cycles") cannot run into them.
    parts.append(
        f'<text class="unit" x="{_LEFT - 6}" y="{_TOP - 12}" text-anchor="end">{escape(unit)}</text>'
    )
    path = " ".join(f"{x(when):.1f},{y(value):.1f}" for when, value in points)
    parts.append(f'<polyline class="line" points="{path}"/>')
    for when, value in points:
        parts.append(
            f'<circle class="point" cx="{x(when):.1f}" cy="{y(value):.1f}" r="3.5">'
            f"<title>{escape(when.date().isoformat())}: {escape(number(value))} {escape(unit)}</title>"
            "</circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bar(parts: Sequence[tuple[str, float]], *, title: str) -> Markup:
    """A horizontal 100 % bar of the shares in ``parts`` (label, percent), with the shares in its title."""
    total = sum(share for _, share in parts)
    if not parts or total <= 0:
        return Markup("")
    spoken = "; ".join(f"{name} {number(share)} %" for name, share in parts)
    out = [
        '<svg class="share-bar" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(title)}: {escape(spoken)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    offset = 0.0
    for index, (name, share) in enumerate(parts):
        width = share / total * 100
        out.append(
            f'<rect class="seg-{index % SEGMENTS}" x="{offset:.3f}" y="0" width="{width:.3f}" height="8">'
            f"<title>{escape(name)}: {escape(number(share))} %</title></rect>"
        )
        offset += width
    out.append("</svg>")
    return Markup("".join(out))
