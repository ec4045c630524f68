"""The shipped four-tier example, checked against totals worked out by hand (issue 6 item 8).

Factors used (data/ember_grid_intensity.csv, ipcc_ar6_gwp100.csv, example_factors.csv), kg CO2e per unit:
  grid CN 0.58582 /kWh (Ember 585.82 g), KR 0.44165, HU 0.20419, DE 0.38095; CH4 GWP100 AR6 27.9 /kg;
  natural gas 0.2 /kWh; ore mining 3 /kg; NMC precursor 10 /kg; other cell materials 4 /kg;
  pack components 5 /kg; sea container 0.01 /t*km; truck 0.1 /t*km; pack recycling 0.5 /kg.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from battrace.apps.pcf import Footprint, Granularity, Stage, battery_metric, lifetime_energy_from_service_life
from battrace.apps.pcf.example import Chain, run_example
from battrace.passport.checks import check_value, cross_problems

Results = tuple[Chain, dict[str, Footprint]]
RAW, PROD, DIST, EOL = Stage.RAW_MATERIAL, Stage.PRODUCTION, Stage.DISTRIBUTION, Stage.END_OF_LIFE


@pytest.fixture(scope="module")
def results() -> Results:
    return run_example()


def test_refiner_total_is_its_own_activities_times_factors(results: Results) -> None:
    _, fp = results
    # ore 1 kg x 3 = 3 | grid CN 5 kWh x 0.58582 = 2.9291 | gas 10 kWh x 0.2 = 2 | CH4 0.01 kg x 27.9 = 0.279
    # total = 3 + 2.9291 + 2 + 0.279 = 8.2081 kg CO2e per kg lithium hydroxide, all raw-material stage
    assert fp["refiner"].total == Decimal("8.2081")
    assert fp["refiner"].stages == {RAW: Decimal("8.2081"), PROD: 0, DIST: 0, EOL: 0}
    # primary = 2.9291 + 2 + 0.279 = 5.2081 -> 100 x 5.2081 / 8.2081 = 63.45074 %
    assert fp["refiner"].primary_data_share == Decimal("63.45074")


def test_cathode_maker_adds_half_a_kilogram_of_the_refiners_total(results: Results) -> None:
    _, fp = results
    # own: grid KR 20 x 0.44165 = 8.833 | precursor 1 x 10 = 10 | sea 5 t*km x 0.01 = 0.05 -> 18.883
    # purchased: 0.5 kg x 8.2081 = 4.10405 -> total 22.98705, booked raw material (the refiner gave no stages)
    cathode = fp["cathode"]
    assert (cathode.own, cathode.purchased, cathode.total) == (
        Decimal("18.883"),
        Decimal("4.10405"),
        Decimal("22.98705"),
    )
    assert cathode.stages is not None and cathode.stages[RAW] == Decimal("22.98705")
    # Ouranos DQR: own (TeR 1, GeR 2, TiR 1) weight 18.883, refiner (2, 2, 1) weight 4.10405
    # TeR = (1 x 18.883 + 2 x 4.10405) / 22.98705 = 27.0911 / 22.98705 = 1.178537... -> 1.17854
    assert cathode.dqr is not None
    assert (cathode.dqr.TeR, cathode.dqr.GeR, cathode.dqr.TiR) == (Decimal("1.17854"), Decimal(2), Decimal(1))
    # primary: own grid 8.833 + refiner 4.10405 x 63.45...% (= 0.5 x 5.2081 = 2.60405) = 11.43705
    # 100 x 11.43705 / 22.98705 = 49.7543...
    assert cathode.primary_data_share == pytest.approx(Decimal("49.75432"), abs=Decimal("0.00002"))


def test_cell_maker_splits_its_total_into_stages_from_the_cathode_disclosure(results: Results) -> None:
    _, fp = results
    # own: grid HU 10 x 0.20419 = 2.0419 (production) | gas 5 x 0.2 = 1 (production)
    #      other materials 0.5 x 4 = 2 (raw material) -> own 5.0419
    # purchased: 0.4 kg cathode x 22.98705 = 9.19482 (raw material, from the cathode's stage split)
    cell = fp["cell"]
    assert cell.total == Decimal("14.23672")
    assert cell.stages == {RAW: Decimal("11.19482"), PROD: Decimal("3.0419"), DIST: 0, EOL: 0}


def test_pack_total_and_stages_match_the_hand_roll_up(results: Results) -> None:
    _, fp = results
    # own: grid DE 50 x 0.38095 = 19.0475 (production) | components 100 x 5 = 500 (raw material)
    #      truck 400 t*km x 0.1 = 40 (distribution) | recycling 300 kg x 0.5 = 150 (end of life) -> 709.0475
    # purchased: 100 cells x 14.23672 = 1423.672 = raw 100 x 11.19482 = 1119.482 + production 304.19
    # total = 709.0475 + 1423.672 = 2132.7195 kg CO2e per pack
    pack = fp["pack"]
    assert pack.total == Decimal("2132.7195")
    assert pack.stages == {
        RAW: Decimal("1619.482"),  # 1119.482 + 500
        PROD: Decimal("323.2375"),  # 304.19 + 19.0475
        DIST: Decimal("40"),
        EOL: Decimal("150"),
    }
    assert sum(pack.stages.values()) == pack.total


def test_pack_passport_values_from_the_draft_delegated_act_lifetime(results: Results) -> None:
    chain, fp = results
    assert chain.battery is not None
    # E_total = 60 kWh x 60 cycles/yr (M1) x 8 years = 28 800 kWh
    energy = lifetime_energy_from_service_life(
        chain.battery.usable_energy_kwh, chain.battery.service_years, chain.battery.vehicle_category
    )
    assert energy == Decimal(28800)
    metric = battery_metric(fp["pack"], energy)
    values = metric.passport_values()
    # 2132.7195 / 28800 = 0.074053... kg CO2e/kWh -> class B under the illustrative bounds (0.05 < x <= 0.08)
    assert values["carbon_footprint_per_functional_unit"] == pytest.approx(0.0741)
    assert values["carbon_footprint_performance_class"] == "B"
    # shares: 1619.482 / 2132.7195 = 75.94 %, 323.2375 -> 15.16 %, 40 -> 1.88 %, 150 -> 7.03 %
    assert values["carbon_footprint_raw_material_share"] == pytest.approx(75.94)
    assert values["carbon_footprint_production_share"] == pytest.approx(15.16)
    assert values["carbon_footprint_distribution_share"] == pytest.approx(1.88)
    assert values["carbon_footprint_end_of_life_share"] == pytest.approx(7.03)
    assert values["absolute_carbon_footprint"] == pytest.approx(2.1327)  # t CO2e
    for key, value in values.items():
        check_value(key, value)
    assert cross_problems(values, []) == []


def test_each_customer_received_only_what_its_supplier_granted(results: Results) -> None:
    chain, fp = results
    granted = {edge.supplier: edge.disclosed_as for node in chain.nodes for edge in node.inputs}
    assert granted == {
        "refiner": Granularity.DATA_QUALITY,
        "cathode": Granularity.STAGES,
        "cell": Granularity.STAGES,
    }
    # the customers' results name the digest of what they received, never the supplier's own inputs
    assert set(fp["refiner"].inputs).isdisjoint(fp["cathode"].inputs)
    assert len(fp["pack"].inputs) == 2  # own activity data + the one cell disclosure
