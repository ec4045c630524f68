"""The SVG chart of rates against targets."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from battrace.apps.recycling import example
from battrace.apps.recycling.chart import HEIGHT, rates_chart
from battrace.apps.recycling.rates import Rate, recovery_rates, treated

_NS = {"svg": "http://www.w3.org/2000/svg"}


def _example_chart() -> str:
    histories = treated(example.example_records(), example.RECYCLER, example.YEAR)
    rates = recovery_rates(histories, example.YEAR)
    return rates_chart({e.value: r for e, r in rates.items()}, title="Material recovery 2029")


def test_the_chart_is_well_formed_svg_with_one_bar_and_one_target_line_per_element() -> None:
    root = ET.fromstring(_example_chart())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("svg:rect", _NS)) == 4
    assert len(root.findall("svg:line[@class='target']", _NS)) == 4


def test_the_description_states_every_value_target_and_verdict_in_words() -> None:
    root = ET.fromstring(_example_chart())
    desc = root.find("svg:desc", _NS)
    assert desc is not None and desc.text is not None
    assert "copper 85.0 %, target 90 % (below target)" in desc.text
    assert "cobalt 93.0 %, target 90 % (meets)" in desc.text
    title = root.find("svg:title", _NS)
    assert title is not None and title.text == "Material recovery 2029"


def test_bar_heights_are_proportional_to_the_rate_on_a_0_to_100_axis() -> None:
    root = ET.fromstring(rates_chart({"a": Rate(50.0, None), "b": Rate(100.0, 90.0)}, title="t"))
    heights = [float(rect.attrib["height"]) for rect in root.findall("svg:rect", _NS)]
    assert heights[1] == 2 * heights[0]
    assert heights[1] < HEIGHT
    assert len(root.findall("svg:line[@class='target']", _NS)) == 1  # "a" has no target


def test_labels_and_titles_are_escaped() -> None:
    svg = rates_chart({"<script>": Rate(10.0, None)}, title="A & B", ident="x y")
    root = ET.fromstring(svg)  # parses: nothing leaked as markup
    assert "<script>" not in svg
    assert root.attrib["aria-labelledby"] == "x-y-title x-y-desc"


def test_the_shipped_example_chart_shows_four_elements_and_the_efficiency() -> None:
    root = ET.fromstring(example.example_chart())
    labels = [t.text for t in root.findall("svg:text", _NS) if t.attrib.get("font-size") == "12"]
    for label in ("cobalt", "copper", "lithium", "nickel", "recycling efficiency"):
        assert label in labels
    desc = root.find("svg:desc", _NS)
    assert desc is not None and desc.text is not None
    assert "recycling efficiency 67.0 %, target 65 % (meets)" in desc.text  # 66.98 % shown to one decimal
