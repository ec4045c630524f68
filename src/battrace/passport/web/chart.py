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


# -- horizontal bars: shares against targets, coverage per mineral ------------------------------------

BAR_WIDTH = 640
_BAR_LEFT, _BAR_RIGHT, _BAR_TOP, _ROW, _BAR = 120, 64, 30, 34, 18


Legend = Sequence[tuple[str, str]]  # (kind, text): kind "seg-N" (a swatch), "target-0" or "target-1" (a line)
_LEGEND_ROW, _LEGEND_COLUMN = 20, 260


def _bar_frame(rows: int, ident: str, title: str, summary: str, legend: Legend) -> tuple[list[str], int]:
    """The svg element, its title and description, the 0-100 % grid for ``rows`` bars and the legend
    below the axis (two entries a line), so colours and target lines are named on the chart itself."""
    plot_bottom = _BAR_TOP + rows * _ROW
    height = plot_bottom + 24 + _LEGEND_ROW * ((len(legend) + 1) // 2) + 8
    safe_id = _SAFE_ID.sub("-", ident)
    plot_w = BAR_WIDTH - _BAR_LEFT - _BAR_RIGHT
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {BAR_WIDTH} {height}" role="img" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(summary)}</desc>',
    ]
    for tick in (0, 25, 50, 75, 100):
        tx = _BAR_LEFT + tick / 100 * plot_w
        parts.append(
            f'<line class="grid" x1="{tx:.1f}" x2="{tx:.1f}" y1="{_BAR_TOP - 6}" y2="{plot_bottom + 2}"/>'
        )
        parts.append(
            f'<text class="tick" x="{tx:.1f}" y="{plot_bottom + 18}" text-anchor="middle">{tick} %</text>'
        )
    for index, (kind, text) in enumerate(legend):
        lx = _BAR_LEFT + (index % 2) * _LEGEND_COLUMN
        ly = plot_bottom + 24 + (index // 2) * _LEGEND_ROW + 12
        if kind.startswith("seg-"):
            parts.append(f'<rect class="{kind}" x="{lx}" y="{ly - 10}" width="12" height="12"/>')
        else:
            dash = ' stroke-dasharray="4 3"' if kind == "target-0" else ""
            parts.append(
                f'<line class="target" x1="{lx + 6}" x2="{lx + 6}" y1="{ly - 12}" y2="{ly + 4}"{dash}/>'
            )
        parts.append(f'<text class="legend-text" x="{lx + 18}" y="{ly}">{escape(text)}</text>')
    return parts, height


def _x(percent: float) -> float:
    plot_w = BAR_WIDTH - _BAR_LEFT - _BAR_RIGHT
    return _BAR_LEFT + min(max(percent, 0.0), 100.0) / 100 * plot_w


def target_bars(
    rows: Sequence[tuple[str, float | None, float | None, Sequence[tuple[str, float]]]],
    *,
    ident: str,
    title: str,
    summary: str,
    part_names: tuple[str, str],
) -> Markup:
    """One bar per row ``(label, first part %, second part %, ((target name, target %), ...))``: the two
    parts stacked (pre- and post-consumer recycled content), each target a marker across the bar (the
    first dashed, the second solid), so a reader sees at once how far the total is from each target."""
    if not rows:
        return Markup("")
    legend = [(f"seg-{i}", name) for i, name in enumerate(part_names)]
    legend += [(f"target-{i}", name) for i, (name, _) in enumerate(rows[0][3])]
    parts, _ = _bar_frame(len(rows), ident, title, summary, legend)
    for index, (label, first, second, targets) in enumerate(rows):
        top = _BAR_TOP + index * _ROW
        parts.append(
            f'<text class="label" x="{_BAR_LEFT - 8}" y="{top + _BAR - 4}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        offset = 0.0
        for segment, (name, value) in enumerate(zip(part_names, (first, second), strict=True)):
            if value is None:
                continue
            x0, x1 = _x(offset), _x(offset + value)
            parts.append(
                f'<rect class="seg-{segment}" x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 0):.1f}" '
                f'height="{_BAR}" data-value="{value:g}"><title>{escape(label)}: {escape(name)} '
                f"{escape(number(value))} %</title></rect>"
            )
            offset += value
        # The total right of the bar and of its target lines, so no line crosses the number.
        right = max([_x(offset), *(_x(target) for _, target in targets)])
        parts.append(
            f'<text class="value" x="{right + 6:.1f}" y="{top + _BAR - 4}">{escape(number(offset))} %</text>'
        )
        for which, (name, target) in enumerate(targets):
            tx = _x(target)
            dash = ' stroke-dasharray="4 3"' if which == 0 else ""
            parts.append(
                f'<line class="target target-{which}" x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 4}" '
                f'y2="{top + _BAR + 4}" data-target="{target:g}"{dash}>'
                f"<title>{escape(name)}: {escape(number(target))} %</title></line>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def coverage_bars(
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    ident: str,
    title: str,
    summary: str,
    missing: str,
) -> Markup:
    """Grouped horizontal bars: ``series[i] = (name, percent per group)``; a missing value is written as
    ``missing`` (no smelter to measure), never drawn as 0 %."""
    if not groups or not series:
        return Markup("")
    per_group = len(series)
    band = _BAR * 0.7
    legend = [(f"seg-{s % SEGMENTS}", name) for s, (name, _) in enumerate(series)]
    parts, _ = _bar_frame(len(groups) * per_group, ident, title, summary, legend)
    for g, group in enumerate(groups):
        top = _BAR_TOP + g * per_group * _ROW
        parts.append(
            f'<text class="label" x="{_BAR_LEFT - 8}" y="{top + band:.1f}" text-anchor="end">'
            f"{escape(group)}</text>"
        )
        for s, (name, values) in enumerate(series):
            y = top + s * _ROW * 0.6
            value = values[g]
            if value is None:
                parts.append(
                    f'<text class="value" x="{_BAR_LEFT + 4}" y="{y + band - 2:.1f}">{escape(missing)}</text>'
                )
                continue
            x1 = _x(value)
            parts.append(
                f'<rect class="seg-{s % SEGMENTS}" x="{_BAR_LEFT}" y="{y:.1f}" width="{x1 - _BAR_LEFT:.1f}" '
                f'height="{band:.1f}" data-value="{value:g}"><title>{escape(group)}: {escape(name)} '
                f"{escape(number(value))} %</title></rect>"
            )
            shown = escape(number(value))
            parts.append(f'<text class="value" x="{x1 + 4:.1f}" y="{y + band - 2:.1f}">{shown} %</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
