"""The passport page: what each reader sees (Art. 77(2)), section by section, and what it never sees."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from battrace.passport.attributes import ATTRIBUTES, AccessLevel, Audience, may_see
from battrace.passport.web.page import LAYOUT

from .sample import (
    AUTHORITY_TOKEN,
    EV_ID,
    EV_VALUES,
    LMT_ID,
    MARKED_ID,
    RECYCLER_DID,
    RECYCLER_TOKEN,
    SECOND_LIFE_ID,
    MemoryReader,
)


def _login(client: TestClient, token: str) -> None:
    response = client.post("/passport/login", data={"token": token, "next": "/passport/x"})
    assert response.status_code == 303


def _sections(html: str) -> set[str]:
    return set(re.findall(r'<section id="([a-z_]+)"', html))


def _text(html: str) -> str:
    """The page's text with tags removed and entities decoded, for value checks."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_public_caller_never_sees_a_restricted_value(client: TestClient) -> None:
    html = client.get(f"/passport/{MARKED_ID}").text
    for entry in ATTRIBUTES:
        shown = f"value-of-{entry.key}" in html
        assert shown is (entry.access is AccessLevel.PUBLIC), entry.key


@pytest.mark.parametrize(
    ("token", "audience"),
    [(RECYCLER_TOKEN, Audience.LEGITIMATE_INTEREST), (AUTHORITY_TOKEN, Audience.AUTHORITY)],
)
def test_logged_in_caller_sees_exactly_the_values_of_its_audience(
    client: TestClient, token: str, audience: Audience
) -> None:
    _login(client, token)
    html = client.get(f"/passport/{MARKED_ID}").text
    for entry in ATTRIBUTES:
        assert (f"value-of-{entry.key}" in html) is may_see(audience, entry.access), entry.key


def test_public_caller_never_sees_dismantling_information(client: TestClient) -> None:
    html = client.get(f"/passport/{EV_ID}").text
    assert str(EV_VALUES["dismantling_information"]) not in html
    assert "circularity" in _sections(html)  # the public end-user information is still there


def test_recycler_sees_dismantling_information_as_a_link(client: TestClient) -> None:
    _login(client, RECYCLER_TOKEN)
    html = client.get(f"/passport/{EV_ID}").text
    assert f'<a href="{EV_VALUES["dismantling_information"]}"' in html


def _notice(html: str) -> str:
    found = re.findall(r'<aside class="notice" role="note">(.*?)</aside>', html, re.S)
    assert len(found) == 1
    return str(found[0])


def test_withheld_levels_are_announced_with_a_login_link_but_not_named_attributes(client: TestClient) -> None:
    notice = _notice(client.get(f"/passport/{EV_ID}").text)
    audiences = re.findall(r"<li>(.*?)</li>", notice)
    assert len(audiences) == 3  # Annex XIII points 2, 3 and 4 are all withheld from the public
    assert any("legitimate interest" in a for a in audiences)
    assert any("market surveillance" in a for a in audiences)
    back = quote(f"/passport/{EV_ID}?lang=en", safe="")
    assert f'href="/passport/login?lang=en&amp;next={back}"' in notice
    assert "Dismantling" not in notice


def test_recycler_is_told_only_about_the_authority_level(client: TestClient) -> None:
    _login(client, RECYCLER_TOKEN)
    html = client.get(f"/passport/{EV_ID}").text
    audiences = re.findall(r"<li>(.*?)</li>", _notice(html))
    assert len(audiences) == 1 and "market surveillance" in audiences[0]
    assert RECYCLER_DID in html


def test_a_second_login_replaces_the_first_session(client: TestClient) -> None:
    _login(client, RECYCLER_TOKEN)
    _login(client, AUTHORITY_TOKEN)
    html = client.get(f"/passport/{MARKED_ID}").text
    assert "value-of-compliance_test_reports" in html and "value-of-battery_status" not in html


def test_every_section_renders_for_a_recycler(client: TestClient) -> None:
    _login(client, RECYCLER_TOKEN)
    html = client.get(f"/passport/{EV_ID}").text
    expected = {ident for ident, _ in LAYOUT} | {"soh", "history", "links"}
    assert _sections(html) == expected


def test_public_page_has_no_state_of_health_history_or_status(client: TestClient) -> None:
    html = client.get(f"/passport/{EV_ID}").text
    assert {"soh", "history"}.isdisjoint(_sections(html))
    assert '<svg class="chart"' not in html
    assert "repurposed" not in _text(html)  # Annex XIII 4(c): the status is legitimate-interest data


def test_identity_shows_ids_manufacturer_category_dates_and_status(client: TestClient) -> None:
    _login(client, RECYCLER_TOKEN)
    text = _text(client.get(f"/passport/{EV_ID}").text)
    for shown in (
        EV_ID,
        "(01)04006381333931(21)EV-0001",
        "Cells Example GmbH",
        "BPNL000000000002",
        "Electric vehicle battery",
        "2026-01",
        "8 years",
        "2026-03-01 09:00 UTC",
        "repurposed",
    ):
        assert shown in text, shown


def test_numbers_are_shown_grouped_with_their_units(client: TestClient) -> None:
    text = _text(client.get(f"/passport/{EV_ID}").text)
    assert "250,000\u00a0W" in text  # maximum permitted power
    assert "61.3\u00a0kgCO2e/kWh" in text
    assert "0.085\u00a0Ω" in text
    assert "-30\u00a0°C" in text


def test_carbon_footprint_stage_shares_are_drawn_as_a_bar_with_a_legend(client: TestClient) -> None:
    html = client.get(f"/passport/{EV_ID}").text
    bar = re.search(r'<svg class="share-bar".*?</svg>', html, re.S)
    assert bar is not None
    assert len(re.findall(r"<rect ", bar.group(0))) == 4
    assert 'aria-label="Life-cycle stage shares: Raw materials 58 %' in bar.group(0)
    assert "Production 34\u00a0%" in _text(html)


def test_recycled_content_is_a_table_of_pre_and_post_consumer_shares_per_metal(client: TestClient) -> None:
    html = client.get(f"/passport/{EV_ID}").text
    matrix = re.search(r'<table class="matrix">.*?</table>', html, re.S)
    assert matrix is not None
    rows = re.findall(r"<tr><th scope=\"row\">(\w+)</th><td>(.*?)</td><td>(.*?)</td></tr>", matrix.group(0))
    assert [(m, unescape(a), unescape(b)) for m, a, b in rows] == [
        ("Nickel", "4\u00a0%", "6\u00a0%"),
        ("Cobalt", "9.5\u00a0%", "12\u00a0%"),
        ("Lithium", "2\u00a0%", "3.5\u00a0%"),
    ]  # no lead row: the sample declares no recycled lead


def test_state_of_health_chart_of_an_ev_is_the_state_of_certified_energy_first(client: TestClient) -> None:
    _login(client, RECYCLER_TOKEN)
    html = client.get(f"/passport/{EV_ID}").text
    soh = re.search(r'<section id="soh".*?</section>', html, re.S)
    assert soh is not None
    figures = re.findall(r'id="figure-([a-z_]+)"', soh.group(0))
    assert figures[0] == "state_of_certified_energy"
    assert set(figures) == {
        "state_of_certified_energy", "state_of_charge", "full_cycles", "current_ohmic_resistance"
    }  # fmt: skip
    assert soh.group(0).count("<circle") == 20  # five measurements in each of four series
    assert 'role="img"' in soh.group(0) and "aria-labelledby=" in soh.group(0)


def test_history_lists_the_status_events(client: TestClient) -> None:
    _login(client, RECYCLER_TOKEN)
    text = _text(client.get(f"/passport/{EV_ID}").text)
    assert "placed on the market" in text
    assert "original → repurposed" in text


def test_linked_passports_link_both_ways(client: TestClient) -> None:
    first = client.get(f"/passport/{EV_ID}").text
    assert f'href="/passport/{SECOND_LIFE_ID}?lang=en"' in first
    second = client.get(f"/passport/{SECOND_LIFE_ID}").text
    assert f'href="/passport/{EV_ID}?lang=en"' in second


def test_a_passport_without_series_has_no_chart_even_for_a_recycler(client: TestClient) -> None:
    _login(client, RECYCLER_TOKEN)
    assert "soh" not in _sections(client.get(f"/passport/{LMT_ID}").text)


def test_documents_that_are_not_http_urls_are_not_links(reader: MemoryReader, client: TestClient) -> None:
    reader.passports[LMT_ID].values["eu_declaration_of_conformity"] = "javascript:alert(1)"
    reader.passports[LMT_ID].values["carbon_footprint_study_link"] = "data:text/html,<b>x</b>"
    html = client.get(f"/passport/{LMT_ID}").text
    assert 'href="javascript:' not in html and 'href="data:' not in html
    assert "javascript:alert(1)" in html  # still shown, as text


def test_values_are_escaped(reader: MemoryReader, client: TestClient) -> None:
    reader.passports[LMT_ID].values["manufacturing_place"] = '<script>alert("x")</script>'
    reader.passports[LMT_ID].values["critical_raw_materials"] = ["<img src=x onerror=alert(1)>"]
    html = client.get(f"/passport/{LMT_ID}").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_unknown_passport_is_a_404_page(client: TestClient) -> None:
    response = client.get("/passport/urn:uuid:not-there")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "No such passport" in response.text


def test_page_is_mobile_ready_and_accessible(client: TestClient) -> None:
    response = client.get(f"/passport/{EV_ID}")
    html = response.text
    assert '<html lang="en">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.count("<h1>") == 1 and "<h2 " in html
    tables = html.count("<table")
    assert tables == html.count("<caption")
    assert 'alt="QR code of this passport"' in html
    assert "script" not in response.headers["content-security-policy"]


def test_the_viewer_renders_only_what_the_reader_hands_over(reader: MemoryReader, client: TestClient) -> None:
    client.get(f"/passport/{EV_ID}")
    assert reader.calls == [(EV_ID, frozenset({Audience.PUBLIC}))]


def test_stylesheet_is_served(client: TestClient) -> None:
    response = client.get("/passport/static/viewer.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "@media (max-width" in response.text
