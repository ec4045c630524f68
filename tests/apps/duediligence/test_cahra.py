from __future__ import annotations

import pytest

from battrace.apps.duediligence.cahra import (
    COVERED_COUNTRIES,
    CountryList,
    country_code,
    country_names,
    default_cahra_list,
    load_country_list,
)
from battrace.errors import InvalidInput


def test_the_default_list_is_the_drc_and_its_nine_neighbours_with_its_source() -> None:
    default = default_cahra_list()
    assert default is COVERED_COUNTRIES
    assert len(default.codes) == 10
    assert "CD" in default and "TZ" in default and "AU" not in default
    assert "1502" in default.source


def test_the_country_table_has_every_iso_3166_alpha_2_code() -> None:
    names = country_names()
    assert len(names) == 249
    assert names["CD"].startswith("Congo")


def test_a_user_list_is_loaded_from_json_and_checked() -> None:
    loaded = load_country_list(
        {"name": "our CAHRA list", "source": "internal review 2026", "countries": ["MM", "AF"]}
    )
    assert loaded.hits(["MM", "FR", "AF"]) == {"MM", "AF"}
    assert load_country_list(loaded.to_json()) == loaded


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "x", "source": "y", "countries": ["ZZ"]}, r"not ISO 3166-1 alpha-2 codes: \['ZZ'\]"),
        ({"name": "x", "countries": ["CD"]}, "'source' must say where the list comes from"),
        ({"name": "x", "source": "y", "countries": "CD"}, "'countries' must be a list"),
        (["CD"], "an object with name, source and countries"),
    ],
)
def test_a_bad_list_is_refused(document: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_country_list(document)


def test_country_code_accepts_codes_and_names_in_any_case() -> None:
    assert country_code("cd") == "CD"
    assert country_code("congo (dem. rep.)") == "CD"
    with pytest.raises(InvalidInput, match="'Atlantis' is not an ISO 3166-1"):
        country_code("Atlantis")


def test_a_country_list_refuses_made_up_codes_at_construction() -> None:
    with pytest.raises(InvalidInput):
        CountryList("x", "y", frozenset({"XX"}))
