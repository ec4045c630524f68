from __future__ import annotations

from decimal import Decimal

import pytest

from battrace.apps.pcf import Activity, ElectricityModel, Stage, own_emissions, parse_factors
from battrace.errors import InvalidInput

FACTORS = parse_factors(
    "key,kg_co2e_per_unit,unit,source,version,licence\n"
    "electricity:grid:PL,0.66193,kWh,Ember,2023,CC-BY-4.0\n"
    "electricity:contract:ppa-7,0.012,kWh,PPA certificate,2024,own\n"
    "fuel:diesel,2.7,l,Fuel set,v1,own\n"
    "transport:truck,0.1,t*km,Transport set,v2,own\n"
    "end_of_life:credit,-0.8,kg,Recycling credit,v1,own\n"
)


def _activity(stage: Stage, factor: str, amount: str, unit: str, primary: bool = True) -> Activity:
    return Activity(stage=stage, factor=factor, amount=Decimal(amount), unit=unit, primary=primary)


def test_own_emissions_are_activity_times_factor_summed_per_stage() -> None:
    own = own_emissions(
        [
            _activity(Stage.PRODUCTION, "electricity:grid:PL", "100", "kWh"),  # 66.193
            _activity(Stage.PRODUCTION, "fuel:diesel", "10", "l"),  # 27
            _activity(Stage.DISTRIBUTION, "transport:truck", "250", "t*km", primary=False),  # 25
            _activity(Stage.END_OF_LIFE, "end_of_life:credit", "10", "kg", primary=False),  # -8
        ],
        FACTORS,
    )
    assert own.stages == {
        Stage.RAW_MATERIAL: 0,
        Stage.PRODUCTION: Decimal("93.193"),
        Stage.DISTRIBUTION: Decimal("25"),
        Stage.END_OF_LIFE: Decimal("-8"),
    }
    assert own.total == Decimal("110.193")
    assert own.primary == Decimal("93.193")
    assert {(s.name, s.version) for s in own.factor_sources} == {
        ("Ember", "2023"),
        ("Fuel set", "v1"),
        ("Transport set", "v2"),
        ("Recycling credit", "v1"),
    }


def test_an_activity_in_another_unit_than_its_factor_is_refused() -> None:
    with pytest.raises(InvalidInput, match="given in 'MWh' but the factor is per 'kWh'"):
        own_emissions([_activity(Stage.PRODUCTION, "electricity:grid:PL", "1", "MWh")], FACTORS)


def test_the_draft_delegated_act_refuses_contractual_electricity() -> None:
    ppa = [_activity(Stage.PRODUCTION, "electricity:contract:ppa-7", "1000", "kWh")]
    with pytest.raises(InvalidInput, match=r"§2\.4\.1"):
        own_emissions(ppa, FACTORS)
    assert own_emissions(ppa, FACTORS, electricity=ElectricityModel.PEF_HIERARCHY).total == Decimal(12)
    assert own_emissions(ppa, FACTORS, electricity=ElectricityModel.MARKET_BASED).total == Decimal(12)


def test_the_digest_changes_when_a_factor_version_changes() -> None:
    lines = [_activity(Stage.PRODUCTION, "fuel:diesel", "10", "l")]
    newer = parse_factors(
        "key,kg_co2e_per_unit,unit,source,version,licence\nfuel:diesel,2.7,l,Fuel set,v2,own\n"
    )
    assert own_emissions(lines, FACTORS).sha256 != own_emissions(lines, newer).sha256
    assert own_emissions(lines, FACTORS).sha256 == own_emissions(list(lines), FACTORS).sha256


def test_a_negative_activity_amount_is_invalid() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        _activity(Stage.PRODUCTION, "fuel:diesel", "-1", "l")
