"""Charts of recycled content against the Art. 8 targets and of the due-diligence summary on the page."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from battrace.apps.duediligence.cahra import default_cahra_list
from battrace.apps.duediligence.example import CELLCO, CONFORMANT_CSV, chain
from battrace.apps.duediligence.metrics import parse_conformant_csv, results
from battrace.apps.duediligence.passport import indices_text
from battrace.apps.duediligence.rollup import roll_up
from battrace.passport.web.page import (
    ART8_TARGETS,
    chemistry_metals,
    due_diligence_figure,
    parse_indices,
    recycled_figure,
)

from .sample import EV_ID, EV_VALUES, MARKED_ID, RECYCLER_TOKEN

_SVG = "{http://www.w3.org/2000/svg}"


def _figure(html: str, ident: str) -> ElementTree.Element:
    match = re.search(rf'<figure class="chart-figure" id="figure-{ident}">.*?(<svg.*?</svg>)', html, re.S)
    assert match, f"no figure {ident}"
    return ElementTree.fromstring(match.group(1))


def _bars(root: ElementTree.Element) -> list[ElementTree.Element]:
    """The data bars (legend swatches carry no value)."""
    return [r for r in root.iter(f"{_SVG}rect") if r.get("data-value") is not None]


def test_the_art_8_targets_are_those_of_the_regulation() -> None:
    # Art. 8(2) from 2031: Co 16, Pb 85, Li 6, Ni 6 %; Art. 8(3) from 2036: Co 26, Pb 85, Li 12, Ni 15 %.
    assert ART8_TARGETS == {"cobalt": (16, 26), "lead": (85, 85), "lithium": (6, 12), "nickel": (6, 15)}


def test_recycled_content_is_drawn_as_pre_plus_post_consumer_bars_with_both_targets(
    client: TestClient,
) -> None:
    html = client.get(f"/passport/{EV_ID}").text
    root = _figure(html, "recycled")
    bars = [(r.findtext(f"{_SVG}title"), float(r.get("data-value", "nan"))) for r in _bars(root)]
    # The sample: nickel 4 + 6, cobalt 9.5 + 12, lithium 2 + 3.5 (no lead), in that order.
    assert [value for _, value in bars] == [4, 6, 9.5, 12, 2, 3.5]
    totals = [t.text for t in root.iter(f"{_SVG}text") if t.get("class") == "value"]
    assert totals == ["10 %", "21.5 %", "5.5 %"]
    targets = [
        float(line.get("data-target", "nan")) for line in root.iter(f"{_SVG}line") if line.get("data-target")
    ]
    assert targets == [6, 15, 16, 26, 6, 12]
    assert "Recycled content against the Article 8 targets" in (root.findtext(f"{_SVG}title") or "")
    legend = [t.text for t in root.iter(f"{_SVG}text") if t.get("class") == "legend-text"]
    assert legend == [
        "Pre-consumer", "Post-consumer", "Target from 2031 (Art. 8(2))", "Target from 2036 (Art. 8(3))"
    ]  # fmt: skip
    # The same numbers in the table beside the chart.
    flat = re.sub(r"\s", " ", html)  # quantities use a no-break space before the unit
    assert (
        '<th scope="row">Cobalt</th><td>9.5 %</td><td>12 %</td><td>21.5 %</td><td>16 %</td><td>26 %</td>'
        in flat
    )


def test_the_due_diligence_summary_is_drawn_per_mineral_and_a_missing_share_is_not_zero(
    client: TestClient,
) -> None:
    html = client.get(f"/passport/{EV_ID}").text
    root = _figure(html, "due-diligence")
    values = [float(r.get("data-value", "nan")) for r in _bars(root)]
    legend = [t.text for t in root.iter(f"{_SVG}text") if t.get("class") == "legend-text"]
    assert legend == [
        "Smelters identified (RMI id)",
        "Smelters conformant",
        "Smelters 100 % recycled feedstock",
    ]
    # cobalt 80/60/20, lithium 50/50/0, nickel 100/0/0; natural graphite has no smelter: no bars at all.
    assert values == [80, 60, 20, 50, 50, 0, 100, 0, 0]
    assert [t.text for t in root.iter(f"{_SVG}text")].count("n/a (no smelter)") == 3


def test_the_charts_have_japanese_labels(client: TestClient) -> None:
    html = client.get(f"/passport/{EV_ID}?lang=ja").text
    assert "再生材含有率と第8条の目標" in html and "鉱物別のデューデリジェンス対象範囲" in html
    assert "2031年からの目標(第8条2項)" in html and "天然黒鉛" in html


def test_values_that_are_not_numbers_or_our_summary_give_neither_chart(client: TestClient) -> None:
    # The marked passport holds a text ("value-of-<key>") for every attribute.
    html = client.get(f"/passport/{MARKED_ID}").text
    assert "value-of-supply_chain_indices" in html
    assert 'id="figure-recycled"' not in html and 'id="figure-due-diligence"' not in html


def test_the_charts_draw_only_values_in_the_callers_view() -> None:
    # A share the view does not hold (withheld or absent) is not drawn nor counted in the total.
    view = {k: v for k, v in EV_VALUES.items() if "cobalt" not in k}
    figure = recycled_figure(view, "en")
    assert figure is not None and [row[0] for row in figure.rows] == ["Nickel", "Lithium"]
    assert "Cobalt" not in str(figure.svg)
    assert due_diligence_figure({}, "en") is None


def test_state_of_health_series_stay_off_the_public_page_but_reach_the_recycler(client: TestClient) -> None:
    public = client.get(f"/passport/{EV_ID}").text
    assert "figure-state_of_certified_energy" not in public
    client.post("/passport/login", data={"token": RECYCLER_TOKEN, "next": f"/passport/{EV_ID}"})
    assert "figure-state_of_certified_energy" in client.get(f"/passport/{EV_ID}").text


def _shares(**declared: tuple[float, float]) -> dict[str, object]:
    """Pre- and post-consumer recycled shares per metal, as a passport declares them."""
    return {
        f"{kind}_consumer_recycled_{metal}_share": share
        for metal, pair in declared.items()
        for kind, share in zip(("pre", "post"), pair, strict=True)
    }


def test_a_lithium_battery_declaring_0_percent_lead_is_not_drawn_against_the_lead_target() -> None:
    # The longlist asks for all eight shares, so an NMC battery declares lead 0 + 0 (passport/samples.py).
    values = {
        "battery_chemistry": "NMC811 cathode, graphite anode, LiPF6 electrolyte",
        **_shares(nickel=(4, 6), cobalt=(0, 0), lithium=(2, 3.5), lead=(0, 0)),
    }
    figure = recycled_figure(values, "en")
    assert figure is not None
    # Cobalt 0 + 0 stays: NMC holds cobalt, so 0 % against 16 % is the honest picture. Lead goes.
    assert [row[0] for row in figure.rows] == ["Nickel", "Cobalt", "Lithium"]
    assert 'data-target="85"' not in str(figure.svg) and "Lead" not in str(figure.svg)


def test_a_lead_battery_is_drawn_against_the_85_percent_lead_target_and_not_against_nickel() -> None:
    values = {"battery_chemistry": "Lead-acid (Pb)", **_shares(nickel=(0, 0), lead=(10, 75))}
    figure = recycled_figure(values, "en")
    assert figure is not None
    # 10 + 75 = 85 % against 85 % (2031) and 85 % (2036).
    assert figure.rows == (("Lead", "10\u00a0%", "75\u00a0%", "85\u00a0%", "85\u00a0%", "85\u00a0%"),)


def test_a_share_above_zero_is_drawn_whatever_the_chemistry_says() -> None:
    values = {"battery_chemistry": "LFP", **_shares(nickel=(0, 1.5), lead=(0, 0))}
    figure = recycled_figure(values, "en")
    assert figure is not None and [row[0] for row in figure.rows] == ["Nickel"]


def test_without_a_chemistry_we_can_read_every_declared_metal_is_drawn() -> None:
    for chemistry in (None, "sodium-ion", ["not", "text"]):
        values = {**_shares(lithium=(1, 2), lead=(0, 0))}
        if chemistry is not None:
            values["battery_chemistry"] = chemistry
        figure = recycled_figure(values, "en")
        assert figure is not None and [row[0] for row in figure.rows] == ["Lithium", "Lead"]


@pytest.mark.parametrize(
    ("chemistry", "metals"),
    [
        ("NMC811 / graphite", {"nickel", "cobalt", "lithium"}),
        ("LiFePO4", {"lithium"}),
        ("LFP", {"lithium"}),
        ("NCA", {"nickel", "cobalt", "lithium"}),
        ("LCO/graphite", {"cobalt", "lithium"}),
        ("Cobalt-free LNMO", {"nickel", "lithium"}),
        ("lead acid (PbA)", {"lead"}),
        ("NiMH", {"nickel"}),
    ],
)
def test_the_metals_a_chemistry_names(chemistry: str, metals: set[str]) -> None:
    assert chemistry_metals(chemistry) == frozenset(metals)


def test_the_resistance_is_charted_in_ohm_over_time_for_the_recycler_and_not_the_public(
    client: TestClient,
) -> None:
    # SOH and resistance over time (Annex VII Part A(5)): five monthly readings 0.08 ... 0.0818 ohm.
    assert "figure-current_ohmic_resistance" not in client.get(f"/passport/{EV_ID}").text
    client.post("/passport/login", data={"token": RECYCLER_TOKEN, "next": f"/passport/{EV_ID}"})
    html = client.get(f"/passport/{EV_ID}").text
    root = _figure(html, "current_ohmic_resistance")
    assert root.findtext(f"{_SVG}title") == "Current ohmic resistance of the pack"
    assert len(list(root.iter(f"{_SVG}circle"))) == 5
    assert [t.text for t in root.iter(f"{_SVG}text") if t.get("class") == "unit"] == ["Ω"]
    # Not a 0-100 axis (not a share): about 4 steps over 0-0.0818 is 0.02045, the next 1-2-5 step is 0.05,
    # so the axis runs 0, 0.05, 0.1 (the maximum rounded up to a step). Dates contain "-": left out.
    ticks = [
        t.text for t in root.iter(f"{_SVG}text") if t.get("class") == "tick" and "-" not in (t.text or "")
    ]
    assert ticks == ["0", "0.05", "0.1"]
    assert "latest 0.0818" in (root.findtext(f"{_SVG}desc") or "")


@pytest.mark.parametrize(
    "text", ["free text from another issuer", "Smelter coverage (RMI id known): cobalt lots"]
)
def test_a_summary_in_another_wording_gives_no_chart(text: str) -> None:
    assert parse_indices(text) == {}
    assert due_diligence_figure({"supply_chain_indices": text}, "en") is None


def test_the_parser_reads_what_the_due_diligence_app_writes() -> None:
    rolled = roll_up(CELLCO, chain())
    computed = results(
        rolled.declaration,
        default_cahra_list(),
        parse_conformant_csv(CONFORMANT_CSV, "user import"),
        rolled.requested,
        rolled.responded,
    )
    parsed = parse_indices(indices_text(computed))
    expected = {m: None if s is None else float(round(s * 100)) for m, s in computed.coverage.items()}
    assert parsed["dd.coverage"] == expected
    assert set(parsed) == {"dd.coverage", "dd.conformant", "dd.recycled"}
