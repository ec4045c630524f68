"""English and Japanese labels, language choice, and the formatting of numbers, units and periods."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from battrace.passport.attributes import ATTRIBUTES
from battrace.passport.web import i18n

from .sample import EV_ID, RECYCLER_TOKEN

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize("entry", ATTRIBUTES, ids=lambda a: a.key)
def test_every_attribute_has_an_english_and_a_japanese_label(entry: object) -> None:
    key = entry.key  # type: ignore[attr-defined]
    assert i18n.label(key, "en") == entry.name  # type: ignore[attr-defined]
    assert _JAPANESE.search(i18n.label(key, "ja")), key


def test_japanese_labels_are_distinct() -> None:
    labels = [i18n.label(a.key, "ja") for a in ATTRIBUTES]
    assert len(set(labels)) == len(labels)


def test_lang_ja_shows_japanese_labels(client: TestClient) -> None:
    html = client.get(f"/passport/{EV_ID}?lang=ja").text
    assert '<html lang="ja">' in html
    assert i18n.label("carbon_footprint_per_functional_unit", "ja") in html
    assert i18n.label("rated_capacity", "ja") in html
    assert "Rated capacity" not in html
    assert "電気自動車用電池" in html  # the category value, not only the labels


def test_japanese_page_of_a_recycler_labels_the_chart_and_history_in_japanese(client: TestClient) -> None:
    client.post("/passport/login", data={"token": RECYCLER_TOKEN, "next": "/passport/x"})
    html = client.get(f"/passport/{EV_ID}?lang=ja").text
    assert "認証エネルギー状態 (SOCE)" in html
    assert "状態の履歴" in html and "用途変更" in html


def test_accept_language_chooses_japanese_when_no_lang_is_given(client: TestClient) -> None:
    html = client.get(f"/passport/{EV_ID}", headers={"accept-language": "ja-JP,ja;q=0.9,en;q=0.8"}).text
    assert '<html lang="ja">' in html


def test_lang_parameter_overrides_accept_language(client: TestClient) -> None:
    html = client.get(f"/passport/{EV_ID}?lang=en", headers={"accept-language": "ja"}).text
    assert '<html lang="en">' in html


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, "en"),
        ("xx", "ja", "ja"),
        (None, "fr-FR, ja;q=0.5, en;q=0.4", "ja"),
        (None, "en;q=0.2, ja;q=0.1", "en"),
        (None, "ja;q=0", "en"),
        (None, "ja;q=abc, en", "en"),
        (None, "*", "en"),
    ],
)
def test_choose_language(query: str | None, header: str | None, expected: str) -> None:
    assert i18n.choose_language(query, header) == expected


@pytest.mark.parametrize(
    ("value", "shown"), [(1234567, "1,234,567"), (0.085, "0.085"), (61.30, "61.3"), (-30, "-30"), (2.0, "2")]
)
def test_numbers_are_grouped_and_trimmed(value: float, shown: str) -> None:
    assert i18n.number(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.12345, "0.123"),  # from 0.1 up: three decimals, as before
        (0.0818, "0.0818"),  # a pack resistance in ohm: three significant digits, not 0.082
        (0.00123, "0.00123"),  # a cell resistance
        (-0.0456, "-0.0456"),
        (0.0000001, "0"),  # beyond six decimals: zero, not an exponent
    ],
)
def test_small_numbers_keep_three_significant_digits(value: float, shown: str) -> None:
    assert i18n.number(value) == shown


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        ("P8Y", "en", "8 years"),
        ("P1Y6M", "en", "1 year 6 months"),
        ("P5Y6M", "ja", "5年6か月"),
        ("PX", "en", "PX"),
    ],
)
def test_warranty_periods_are_spelled_out(value: str, lang: i18n.Lang, shown: str) -> None:
    assert i18n.period(value, lang) == shown


def test_units_are_translated_where_japanese_writes_them_differently() -> None:
    assert i18n.quantity(3000, "cycles", "ja") == "3,000\u00a0サイクル"
    assert i18n.quantity(3000, "cycles", "en") == "3,000\u00a0cycles"
    assert i18n.quantity(95, "%", "ja") == "95\u00a0%"
