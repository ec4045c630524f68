"""pcf_for_battery_component_supplier 1.0.0: the stage split of a battery component in Catena-X."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from battrace.apps.pcf import Granularity, Stage
from battrace.apps.pcf.catenax.battery import (
    battery_dqr,
    declared_unit,
    parse_battery_aspect,
    stage_values,
    to_battery_aspect,
)
from battrace.errors import InvalidInput

from .conftest import BATTERY_INFO, CATENAX, cell_disclosure, errors, load

SCHEMA = "PcfForBatteryComponentSupplier-schema.json"


def test_the_official_example_validates_and_imports() -> None:
    raw = load("PcfForBatteryComponentSupplier.json")
    assert errors(SCHEMA, raw) == []
    aspect = parse_battery_aspect((CATENAX / "PcfForBatteryComponentSupplier.json").read_bytes())
    assert aspect.legalidentifier == "BPNLAfCp8s8HBEEB"
    assert aspect.technologicalRepresentativeness == Decimal("3.6843802025044456")


def test_the_official_example_round_trips_to_the_same_aspect() -> None:
    aspect = parse_battery_aspect(load("PcfForBatteryComponentSupplier.json"))
    again = aspect.to_json()
    assert errors(SCHEMA, again) == []
    # date-times come back in UTC ("…+01:00" → "…Z"): the same instants, so the same aspect
    assert parse_battery_aspect(again) == aspect


def test_the_official_example_stage_values_add_up_to_neither_reading_and_are_refused() -> None:
    # four stages of 3.14 against an absolute 3.14: not absolute values, not percentages
    with pytest.raises(InvalidInput, match="neither"):
        stage_values(parse_battery_aspect(load("PcfForBatteryComponentSupplier.json")))


def test_a_written_aspect_validates_and_carries_the_four_stages_per_piece() -> None:
    aspect = to_battery_aspect(cell_disclosure(), BATTERY_INFO)
    assert errors(SCHEMA, aspect.to_json()) == []
    total, stages = stage_values(aspect)
    assert total == Decimal("58.02457")
    assert stages[Stage.RAW_MATERIAL] == Decimal("12.34567")
    assert stages[Stage.PRODUCTION] == Decimal("45.6789")
    assert declared_unit(aspect) == "piece"


def test_the_representativeness_ratings_are_the_ouranos_dqr_and_their_mean() -> None:
    aspect = to_battery_aspect(cell_disclosure(), BATTERY_INFO)
    assert battery_dqr(aspect) == cell_disclosure().dqr
    assert aspect.dataQualityRating == Decimal("2.2")  # (2.1 + 1.5 + 3) / 3


def test_stage_values_given_as_percent_shares_are_read_as_shares_of_the_absolute_value() -> None:
    raw = load("PcfForBatteryComponentSupplier.json")
    shares = raw["pcfValues"]["sharesPerStage"]
    shares["absPcfValue"]["stageValue"] = 80
    for name, share in (
        ("stage1RawMaterialAquisitionPreProcessing", 25),
        ("stage2MainProductProduction", 70),
    ):
        shares[name]["stageValue"] = share
    shares["stage3Distribution"]["stageValue"] = 5
    shares["stage4EndOfLifeRecycling"]["stageValue"] = 0
    total, stages = stage_values(parse_battery_aspect(raw))
    assert total == 80
    assert stages[Stage.RAW_MATERIAL] == 20
    assert stages[Stage.PRODUCTION] == 56
    assert stages[Stage.DISTRIBUTION] == 4


def test_a_disclosure_without_its_stage_split_cannot_fill_the_aspect() -> None:
    total_only = cell_disclosure(granularity=Granularity.DATA_QUALITY, stages=None)
    with pytest.raises(InvalidInput, match="stages"):
        to_battery_aspect(total_only, BATTERY_INFO)


def test_the_aspect_declares_per_kilogram_or_piece_only() -> None:
    with pytest.raises(InvalidInput, match="kilogram or per piece"):
        to_battery_aspect(cell_disclosure(declared_unit="kilowatt hour"), BATTERY_INFO)


def test_a_site_that_is_not_a_bpns_is_refused() -> None:
    info = replace(BATTERY_INFO, site_identifier="PLANT-7")
    with pytest.raises(InvalidInput, match="siteIdentifier"):
        to_battery_aspect(cell_disclosure(), info)


def test_a_received_aspect_is_checked_against_the_published_schema_before_it_is_read() -> None:
    raw = load("PcfForBatteryComponentSupplier.json")
    del raw["legalidentifier"]
    with pytest.raises(InvalidInput, match=r"PcfForBatteryComponentSupplier-schema\.json.*'legalidentifier'"):
        parse_battery_aspect(json.dumps(raw))
    raw = load("PcfForBatteryComponentSupplier.json")
    raw["pcfValues"]["sharesPerStage"]["declaredUnit"] = "CO2KG/kWh"
    with pytest.raises(InvalidInput, match=r"schema\.json\): pcfValues/sharesPerStage/declaredUnit"):
        parse_battery_aspect(raw)
