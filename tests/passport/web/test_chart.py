"""Server-side SVG charts: accessible, escaped, well-formed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from battrace.passport.web.chart import line_chart, share_bar

_SVG = "{http://www.w3.org/2000/svg}"
_T0 = datetime(2026, 4, 1, tzinfo=UTC)


def _points(*values: float) -> list[tuple[datetime, float]]:
    return [(_T0 + timedelta(days=30 * n), v) for n, v in enumerate(values)]


def test_line_chart_is_a_titled_image_with_one_point_per_measurement() -> None:
    svg = line_chart(
        _points(100, 98.5, 97), ident="soce", title="SOCE", unit="%", percent=True, summary="3 points"
    )
    root = ElementTree.fromstring(str(svg))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "soce-title soce-desc"
    assert root.findtext(f"{_SVG}title") == "SOCE" and root.findtext(f"{_SVG}desc") == "3 points"
    assert len(root.findall(f"{_SVG}circle")) == 3
    assert root.find(f"{_SVG}polyline") is not None


def test_percent_chart_spans_zero_to_one_hundred_and_points_rise_with_their_value() -> None:
    root = ElementTree.fromstring(
        str(line_chart(_points(100, 50), ident="c", title="t", unit="%", percent=True, summary="s"))
    )
    ticks = [t.text for t in root.findall(f"{_SVG}text") if t.get("class") == "tick"]
    assert "0" in ticks and "100" in ticks
    high, low = (float(c.get("cy", "nan")) for c in root.findall(f"{_SVG}circle"))
    assert high < low  # SVG y grows downwards


def test_single_measurement_is_drawn_in_the_middle() -> None:
    root = ElementTree.fromstring(
        str(line_chart(_points(230), ident="c", title="t", unit="Ah", percent=False, summary="s"))
    )
    (circle,) = root.findall(f"{_SVG}circle")
    assert 56 < float(circle.get("cx", "0")) < 640


def test_chart_texts_are_escaped() -> None:
    svg = str(
        line_chart(
            _points(1, 2),
            ident='x" onload="alert(1)',
            title="<script>",
            unit="<b>",
            percent=False,
            summary="&",
        )
    )
    assert "<script>" not in svg and "<b>" not in svg and 'onload="' not in svg
    ElementTree.fromstring(svg)  # still well-formed


def test_no_points_no_chart() -> None:
    assert str(line_chart([], ident="c", title="t", unit="%", percent=True, summary="s")) == ""


def test_share_bar_widths_follow_the_shares() -> None:
    root = ElementTree.fromstring(str(share_bar([("a", 75), ("b", 25)], title="Stages")))
    widths = [float(r.get("width", "0")) for r in root.findall(f"{_SVG}rect")]
    assert widths == [75.0, 25.0]
    assert root.get("aria-label") == "Stages: a 75 %; b 25 %"
