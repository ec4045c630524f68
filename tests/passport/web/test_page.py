"""The page layout and value rendering, independent of HTTP."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from battrace.passport.attributes import ATTRIBUTES
from battrace.passport.lifecycle import DynamicValue
from battrace.passport.web.page import LAYOUT, link, render_value


def test_every_catalogue_attribute_has_exactly_one_place_on_the_page() -> None:
    placed = Counter(key for _, groups in LAYOUT for _, keys in groups for key in keys)
    assert set(placed) == {a.key for a in ATTRIBUTES}
    assert max(placed.values()) == 1


def test_only_http_and_https_urls_become_links() -> None:
    assert str(link("https://a.example/x?y=1&z=2")).startswith('<a href="https://a.example/x?y=1&amp;z=2"')
    for text in (
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,x",
        "/relative",
        "http://",
        "ftp://a",
    ):
        assert "<a" not in str(link(text)), text


def test_a_latest_dynamic_value_is_shown_with_its_unit_and_time() -> None:
    value = DynamicValue(97.4, "%", datetime(2026, 8, 29, tzinfo=UTC), "bms")
    shown = str(render_value("state_of_certified_energy", value, "en"))
    assert "97.4\u00a0%" in shown and "2026-08-29 00:00 UTC" in shown


def test_a_latest_value_in_the_flat_form_of_the_service_is_shown_with_its_time() -> None:
    value = {"value": 97.4, "unit": "%", "measured_at": "2026-08-29T00:00:00+00:00"}
    shown = str(render_value("state_of_certified_energy", value, "en"))
    assert "97.4\u00a0%" in shown and "2026-08-29 00:00 UTC" in shown


def test_a_quantity_with_its_own_unit_keeps_it() -> None:
    assert str(render_value("battery_mass", {"value": 1250, "unit": "kg"}, "en")) == "1,250\u00a0kg"


def test_a_composition_lists_name_cas_number_and_share() -> None:
    shown = str(
        render_value(
            "hazardous_substances",
            {"complete": False, "components": [{"name": "LiPF6", "cas": "21324-40-3", "share": 1.25}]},
            "en",
        )
    )
    assert "LiPF6 (CAS 21324-40-3): 1.25\u00a0%" in shown


def test_a_value_of_an_unexpected_shape_is_still_shown_escaped() -> None:
    shown = str(render_value("rated_capacity", {"nominal": "<230>"}, "en"))
    assert "nominal: &lt;230&gt;" in shown
