"""The SVG chart: well-formed, one point per reading, the threshold and the remaining life shown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from battrace.apps.soh.chart import soh_svg

from .conftest import Case

SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_is_well_formed_svg_with_a_point_per_capacity_and_resistance_reading(case: Case) -> None:
    root = ET.fromstring(soh_svg(case.result, 0))
    assert root.tag == f"{SVG}svg"
    readings = int(case.readings.valid[0].sum())
    assert len(root.findall(f"{SVG}circle")) == 2 * readings  # state of health and resistance panels


def test_the_caption_states_the_remaining_life_and_its_interval(case: Case) -> None:
    b = int(np.flatnonzero(np.isfinite(case.result.life.years) & (case.result.life.years > 1))[0])
    text = " ".join(t.text or "" for t in ET.fromstring(soh_svg(case.result, b)).iter(f"{SVG}text"))
    life = case.result.life
    assert f"remaining useful life {life.years[b]:.1f} years" in text
    assert f"{life.low[b]:.1f}-{life.high[b]:.1f}" in text
    threshold = case.readings.nameplates[b].capacity_threshold_for_exhaustion
    assert f"to {threshold:g} %" in text


def test_a_battery_id_with_markup_is_escaped(case: Case) -> None:
    from dataclasses import replace

    readings = replace(case.readings, battery_ids=("<b>&x", *case.readings.battery_ids[1:]))
    svg = soh_svg(replace(case.result, readings=readings), 0)
    ET.fromstring(svg)  # still well-formed
    assert "&lt;b&gt;&amp;x" in svg
