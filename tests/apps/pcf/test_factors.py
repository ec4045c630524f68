from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from battrace.apps.pcf import FactorSet, load_factors, parse_factors, shipped_factors
from battrace.errors import InvalidInput, NotFound

# the licence column values of the shipped sets; data/NOTICE.md says what each one requires
SHIPPED_LICENCES = {
    "CC-BY-4.0",
    "CC0-1.0",
    "OGL-3.0",
    "Open-Parliament-Licence-3.0",
    "IPCC-2006-GL (cite the source; see NOTICE.md)",
    "Apache-2.0",
}

HEADER = "key,kg_co2e_per_unit,unit,source,version,licence\n"


def test_shipped_grid_factor_is_embers_grams_per_kwh_in_kilograms() -> None:
    # Ember lists Germany 2023 at 380.95 gCO2e/kWh (co2.js snapshot named in data/NOTICE.md)
    factor = shipped_factors()["electricity:grid:DE"]
    assert (factor.value, factor.unit, factor.version, factor.licence) == (
        Decimal("0.38095"),
        "kWh",
        "2023",
        "CC-BY-4.0",
    )
    assert factor.source.startswith("Ember")


def test_shipped_gwp_is_ipcc_ar6_gwp100() -> None:
    factors = shipped_factors()
    # AR6 WGI Table 7.SM.7: CH4 27.9, N2O 273, SF6 25 200
    assert factors["gwp100:AR6:CH4"].value == Decimal("27.9")
    assert factors["gwp100:AR6:N2O"].value == Decimal("273")
    assert factors["gwp100:AR6:SF6"].value == Decimal("25200")
    assert factors["gwp100:AR6:CH4"].licence == "CC0-1.0"


def test_every_shipped_factor_names_an_open_licence_source_and_version() -> None:
    factors = shipped_factors()
    assert len(factors) > 40
    for factor in factors.values():
        assert factor.licence in SHIPPED_LICENCES, factor.key
        assert factor.source and factor.version


def test_a_users_csv_overrides_a_shipped_factor(tmp_path: Path) -> None:
    path = tmp_path / "contract.csv"
    path.write_text(
        HEADER
        + "electricity:grid:DE,0.3,kWh,My utility residual mix,2024,proprietary\n"
        + "electricity:contract:ppa-1,0.01,kWh,Wind PPA certificate,2024,proprietary\n",
        encoding="utf-8",
    )
    merged = shipped_factors().merged(load_factors(path))
    assert merged["electricity:grid:DE"].value == Decimal("0.3")
    assert merged["electricity:contract:ppa-1"].source == "Wind PPA certificate"
    assert merged["electricity:grid:FR"].value == shipped_factors()["electricity:grid:FR"].value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("key,value\nx,1\n", "header must be"),
        (HEADER + "fuel:gas,abc,kWh,s,v,l\n", "is not a number"),
        (HEADER + "fuel:gas,NaN,kWh,s,v,l\n", "finite"),
        (HEADER + "fuel:gas,1,,s,v,l\n", "needs a value"),
        (HEADER + "fuel:gas,1,kWh,s,v\n", "needs a value"),
        (HEADER + "fuel:gas,1,kWh,s,v,l,extra\n", "needs a value"),
        (HEADER + "fuel:gas,1,kWh,s,v,l\nfuel:gas,2,kWh,s,v,l\n", "defined twice"),
    ],
)
def test_a_malformed_factor_csv_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_factors(text, name="mine.csv")


def test_a_missing_factor_file_is_invalid_input_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read factor file"):
        load_factors(tmp_path / "absent.csv")


def test_an_unknown_factor_key_is_not_found() -> None:
    with pytest.raises(NotFound, match="electricity:grid:XX"):
        FactorSet()["electricity:grid:XX"]
