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
    # DESNZ 2025 "Freighting goods": HGV (all diesel), all HGVs, average laden (row 27_304_3140_14_1)
    assert factors["transport:road:hgv"].value == Decimal("0.10163")
    assert {(f.version, f.licence) for f in transport.values()} == {("DESNZ-2025", "OGL-3.0")}


def test_every_tank_to_wheel_freight_factor_has_its_well_to_tank_companion() -> None:
    transport = [key for key in shipped_factors() if key.startswith("transport:")]
    wtt = {key.removesuffix(":wtt") for key in transport if key.endswith(":wtt")}
    # one well-to-tank figure per flight class: radiative forcing acts at altitude, not in the fuel chain
    ttw = {key.removesuffix("_rf") for key in transport if not key.endswith(":wtt")}
    assert ttw == wtt
    assert "tank-to-wheel" in shipped_factors()["transport:rail"].source
    assert "well-to-tank" in shipped_factors()["transport:rail:wtt"].source


def test_radiative_forcing_is_its_own_key_and_only_adds() -> None:
    factors = shipped_factors()
    for flight in ("long_haul", "short_haul", "international"):
        without, with_rf = factors[f"transport:air:{flight}"], factors[f"transport:air:{flight}_rf"]
        assert "Without RF" in without.source and "With RF" in with_rf.source
        assert with_rf.value > without.value
    assert factors["transport:air:long_haul_rf"].value == Decimal("0.89939")  # row 27_317_3156_14_1


def test_a_fuel_burnt_and_a_freight_leg_give_amount_times_factor() -> None:
    activities = (
        Activity(stage=Stage.PRODUCTION, factor="fuel:diesel:kg", amount=Decimal(10), unit="kg"),
        Activity(stage=Stage.DISTRIBUTION, factor="transport:road:hgv", amount=Decimal(200), unit="t*km"),
    )
    own = own_emissions(activities, shipped_factors())
    # 10 kg x 3.1969425 = 31.969425; 200 t*km x 0.10163 = 20.326
    assert own.stages[Stage.PRODUCTION] == Decimal("31.969425")
    assert own.stages[Stage.DISTRIBUTION] == Decimal("20.326")
    assert own.total == Decimal("52.295425")


def test_a_freight_leg_well_to_wheel_is_the_same_tonne_kilometres_against_both_keys() -> None:
    activities = tuple(
        Activity(stage=Stage.DISTRIBUTION, factor=key, amount=Decimal(1000), unit="t*km")
        for key in ("transport:sea:container_ship", "transport:sea:container_ship:wtt")
    )
    # 1000 t*km x (0.01612 + 0.00365) = 16.12 + 3.65 = 19.77
    assert own_emissions(activities, shipped_factors()).stages[Stage.DISTRIBUTION] == Decimal("19.77")


def test_a_fuel_given_in_litres_against_a_per_kwh_factor_is_refused_with_the_unit_to_use() -> None:
    litres = Activity(stage=Stage.PRODUCTION, factor="fuel:diesel", amount=Decimal(5), unit="litre")
    with pytest.raises(InvalidInput, match=r"per 'kWh'.*give the amount in 'kWh'.*never converted"):
        own_emissions((litres,), shipped_factors())


def test_transport_in_kilometres_only_is_refused() -> None:
    leg = Activity(stage=Stage.DISTRIBUTION, factor="transport:rail", amount=Decimal(300), unit="km")
    with pytest.raises(InvalidInput, match=r"tonnes carried times kilometres"):
        own_emissions((leg,), shipped_factors())
