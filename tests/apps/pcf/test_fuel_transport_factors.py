"""The shipped fuel and freight factor sets, and how activity data in their units turns into emissions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from battrace.apps.pcf import shipped_factors
from battrace.apps.pcf.activity import Activity, own_emissions
from battrace.apps.pcf.model import Stage
from battrace.errors import InvalidInput

# IPCC 2006 Vol.2 Ch.2 Table 2.3 (manufacturing industries and construction), kg per TJ (NCV): CO2, CH4, N2O;
# Vol.2 Ch.1 Table 1.2 default net calorific value, TJ per Gg (= MJ per kg)
IPCC_2006 = {
    "natural_gas": (56100, 1, "0.1", "48.0"),
    "diesel": (74100, 3, "0.6", "43.0"),
    "fuel_oil": (77400, 3, "0.6", "40.4"),
    "lpg": (63100, 1, "0.1", "47.3"),
    "coal_bituminous": (94600, 10, "1.5", "25.8"),
}
TJ_PER_KWH = Decimal("0.0000036")


@pytest.mark.parametrize("fuel", sorted(IPCC_2006))
def test_each_fuel_factor_is_the_ipcc_default_weighted_with_the_shipped_ar6_gwp(fuel: str) -> None:
    factors = shipped_factors()
    co2, ch4, n2o, ncv = (Decimal(v) for v in IPCC_2006[fuel])
    gwp_ch4, gwp_n2o = factors["gwp100:AR6:CH4"].value, factors["gwp100:AR6:N2O"].value
    per_tj = co2 + gwp_ch4 * ch4 + gwp_n2o * n2o
    per_kwh, per_kg = factors[f"fuel:{fuel}"], factors[f"fuel:{fuel}:kg"]
    assert (per_kwh.unit, per_kg.unit) == ("kWh", "kg")
    assert per_kwh.value == per_tj * TJ_PER_KWH
    assert per_kg.value == per_tj * ncv / 1_000_000
    assert per_kwh.source.startswith("IPCC 2006 Guidelines") and per_kwh.version


def test_natural_gas_worked_by_hand() -> None:
    # (56 100 + 27.9 x 1 + 273 x 0.1) kg/TJ = 56 155.2 kg/TJ; x 3.6e-6 TJ/kWh = 0.20215872 kg/kWh
    assert shipped_factors()["fuel:natural_gas"].value == Decimal("0.20215872")


def test_freight_factors_cover_road_rail_sea_and_air_per_tonne_kilometre() -> None:
    factors = shipped_factors()
    transport = {key: f for key, f in factors.items() if key.startswith("transport:")}
    modes = {key.split(":")[1] for key in transport}
    assert {"road", "rail", "sea", "air"} <= modes
    assert {f.unit for f in transport.values()} == {"t*km"}
    assert factors["transport:road:hgv"].value == Decimal("0.14993")  # Defra/DECC 2012 Table 7e
    assert {f.licence for f in transport.values()} <= {"OGL-3.0", "Open-Parliament-Licence-3.0"}


def test_a_fuel_burnt_and_a_freight_leg_give_amount_times_factor() -> None:
    activities = (
        Activity(stage=Stage.PRODUCTION, factor="fuel:diesel:kg", amount=Decimal(10), unit="kg"),
        Activity(stage=Stage.DISTRIBUTION, factor="transport:road:hgv", amount=Decimal(200), unit="t*km"),
    )
    own = own_emissions(activities, shipped_factors())
    # 10 kg x 3.1969425 = 31.969425; 200 t*km x 0.14993 = 29.986
    assert own.stages[Stage.PRODUCTION] == Decimal("31.969425")
    assert own.stages[Stage.DISTRIBUTION] == Decimal("29.986")
    assert own.total == Decimal("61.955425")


def test_a_fuel_given_in_litres_against_a_per_kwh_factor_is_refused_with_the_unit_to_use() -> None:
    litres = Activity(stage=Stage.PRODUCTION, factor="fuel:diesel", amount=Decimal(5), unit="litre")
    with pytest.raises(InvalidInput, match=r"per 'kWh'.*give the amount in 'kWh'.*never converted"):
        own_emissions((litres,), shipped_factors())


def test_transport_in_kilometres_only_is_refused() -> None:
    leg = Activity(stage=Stage.DISTRIBUTION, factor="transport:rail", amount=Decimal(300), unit="km")
    with pytest.raises(InvalidInput, match=r"tonnes carried times kilometres"):
        own_emissions((leg,), shipped_factors())
