from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from battrace.apps.duediligence.cahra import default_cahra_list
from battrace.apps.duediligence.chart import bar_chart, coverage_chart
from battrace.apps.duediligence.metrics import parse_conformant_csv, results
from battrace.apps.duediligence.rollup import roll_up

from .example import CELLCO, CONFORMANT_CSV, chain

SVG = "{http://www.w3.org/2000/svg}"


def _bars(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter(f"{SVG}rect") if e.get("class") == "bar"]


def test_bar_heights_are_proportional_to_the_shares() -> None:
    bars = _bars(bar_chart("t", ["a", "b"], {"s": [1.0, 0.25]}))
    full, quarter = (float(b.get("height", "0")) for b in bars)
    assert full > 0
    assert quarter == pytest.approx(full / 4, abs=0.1)


def test_a_missing_value_is_written_na_not_drawn_as_zero() -> None:
    svg = bar_chart("t", ["a", "b"], {"s": [0.5, None]})
    assert len(_bars(svg)) == 1
    assert "n/a" in svg


def test_names_from_declarations_are_escaped() -> None:
    svg = bar_chart("<script>", ["a&b"], {"<s>": [0.5]})
    root = ET.fromstring(svg)  # well-formed
    assert "<script>" not in svg
    assert root.find(f"{SVG}title") is not None


def test_the_coverage_chart_of_the_example_has_two_bars_per_mineral_at_the_computed_shares() -> None:
    rolled = roll_up(CELLCO, chain())
    computed = results(rolled.declaration, default_cahra_list(), parse_conformant_csv(CONFORMANT_CSV, "user"))
    bars = _bars(coverage_chart(computed))
    # 4 minerals x (coverage, conformant); values hand-checked in test_example.py.
    values = sorted(float(b.get("data-value", "-1")) for b in bars)
    assert values == [0.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0]
