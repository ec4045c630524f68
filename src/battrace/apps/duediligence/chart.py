"""Due-diligence coverage as an SVG bar chart, in pure Python (no plotting library).

One group of bars per mineral, one bar per series (shares 0..1, drawn as percent). A missing value (no
smelter to measure) is drawn as "n/a" instead of a bar, so an absent measurement never reads as 0 %.
Every text is XML-escaped: company and mineral names come from other companies' declarations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from battrace.apps.duediligence.metrics import Results

WIDTH, HEIGHT = 640, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 16, 48, 64
_COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")  # colour-blind-safe enough for 2-4 series


def _y(share: float) -> float:
    return _TOP + (1 - share) * (HEIGHT - _TOP - _BOTTOM)


def _axis() -> list[str]:
    parts = []
    for tick in (0, 25, 50, 75, 100):
        y = _y(tick / 100)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick} %</text>'
        )
    return parts


def _legend(series: Sequence[str]) -> list[str]:
    parts = []
    x = _LEFT
    for i, name in enumerate(series):
        y = HEIGHT - 20
        colour = _COLOURS[i % len(_COLOURS)]
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{y}" font-size="12">{escape(name)}</text>')
        x += 16 + 7 * len(name) + 24  # about 7 px per character at 12 px sans-serif
    return parts


def _bar(x: float, width: float, value: float | None, series: str, group: str, colour: str) -> str:
    if value is None:
        centre = x + width / 2
        return f'<text x="{centre:.1f}" y="{_y(0) - 4:.1f}" text-anchor="middle" font-size="10">n/a</text>'
    share = min(max(value, 0.0), 1.0)
    top = _y(share)
    label = quoteattr(f"{group}: {series} {round(share * 100)} %")
    # The value above the bar, so that 0 % is seen as a measurement, not as a missing bar.
    return (
        f'<rect class="bar" x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" height="{_y(0) - top:.1f}" '
        f'fill="{colour}" data-value="{share:.4f}"><title>{escape(label[1:-1])}</title></rect>'
        f'<text x="{x + width / 2:.1f}" y="{top - 3:.1f}" text-anchor="middle" font-size="10">'
        f"{round(share * 100)} %</text>"
    )


def bar_chart(title: str, groups: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> str:
    """Grouped bars: ``series[name][i]`` is the share of group ``groups[i]``."""
    names = list(series)
    slot = (WIDTH - _LEFT - _RIGHT) / max(len(groups), 1)
    bar = slot * 0.8 / max(len(names), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
        *_axis(),
    ]
    for g, group in enumerate(groups):
        x0 = _LEFT + g * slot + slot * 0.1
        for s, name in enumerate(names):
            colour = _COLOURS[s % len(_COLOURS)]
            parts.append(_bar(x0 + s * bar, bar * 0.9, series[name][g], name, group, colour))
        label_y = _y(0) + 16
        parts.append(
            f'<text x="{x0 + slot * 0.4:.1f}" y="{label_y:.1f}" text-anchor="middle" font-size="12">'
            f"{escape(group)}</text>"
        )
    parts.extend(_legend(names))
    parts.append("</svg>")
    return "\n".join(parts)


def coverage_chart(results: Results, title: str = "Due-diligence coverage by mineral") -> str:
    """Smelter coverage and conformant share per declared mineral."""
    minerals = list(results.coverage)
    return bar_chart(
        title,
        minerals,
        {
            "Smelters identified (RMI id)": [results.coverage[m] for m in minerals],
            "Smelters conformant": [results.conformant[m] for m in minerals],
        },
    )
