"""The battery aspect as the second aspect of a Catena-X answer: when it is sent, what it carries, and what a
consumer checks before it takes the stage split from it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from battrace.apps.pcf import Granularity, Stage
from battrace.apps.pcf.catenax.aspects import (
    BatteryDeclaration,
    battery_payload,
    check_answer,
    parse_declaration,
)
from battrace.apps.pcf.catenax.battery import parse_battery_aspect
from battrace.apps.pcf.catenax.convert import to_catenax
from battrace.errors import InvalidInput

from .conftest import CELL_MAKER_BPNL, PERIOD, cell_disclosure, envelope, errors

SCHEMA = "PcfForBatteryComponentSupplier-schema.json"
DECLARATION = BatteryDeclaration(site_identifier="BPNS00000003SITE", customer_part_id="PRT-12345")
VALID_TO = datetime(2029, 1, 1, tzinfo=UTC)


def _payload(**changes: object) -> bytes | None:
    return battery_payload(
        cell_disclosure(**changes), DECLARATION, provider_bpn=CELL_MAKER_BPNL, valid_to=VALID_TO
    )


def test_a_consumer_granted_stages_gets_a_schema_valid_aspect_with_the_four_stages() -> None:
    payload = _payload()
    assert payload is not None
    assert errors(SCHEMA, json.loads(payload)) == []
    aspect = parse_battery_aspect(payload)
    shares = aspect.pcfValues.sharesPerStage
    assert shares.stage1RawMaterialAquisitionPreProcessing.stageValue == Decimal("12.34567")
    assert shares.absPcfValue.stageValue == Decimal("58.02457")
    assert aspect.legalidentifier == CELL_MAKER_BPNL and aspect.siteIdentifier == "BPNS00000003SITE"
    # no manufacturer part number declared: the product id; the validity starts where the period ends
    assert aspect.manufacturerPartId == cell_disclosure().product_id and aspect.customerPartId == "PRT-12345"
    assert aspect.validityPeriod.validFrom == PERIOD[1] and aspect.validityPeriod.validTo == VALID_TO


def test_the_aspect_is_the_same_bytes_each_time_so_a_resent_answer_is_a_repeat() -> None:
    assert _payload() == _payload()


def test_a_consumer_not_granted_stages_gets_no_aspect() -> None:
    for granted in (Granularity.TOTAL, Granularity.DATA_QUALITY):
        assert _payload(granularity=granted, stages=None) is None


def test_stages_granted_without_a_battery_declaration_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(InvalidInput, match=r"siteIdentifier"):
        battery_payload(cell_disclosure(), None, provider_bpn=CELL_MAKER_BPNL, valid_to=VALID_TO)


def test_a_declaration_needs_a_bpns_and_nothing_else_it_does_not_know() -> None:
    assert parse_declaration({"siteIdentifier": "BPNS00000003SITE"}).manufacturer_part_id is None
    bad_ones: list[object] = [
        {"siteIdentifier": "BPNL00000003CELL"},  # a legal entity's BPNL is not a site's BPNS
        {"siteIdentifier": "BPNS00000003SITE", "x": 1},
        [],
    ]
    for bad in bad_ones:
        with pytest.raises(InvalidInput, match="battery"):
            parse_declaration(bad)


def test_the_consumer_takes_the_stage_split_from_an_aspect_matching_the_pcf_it_answers() -> None:
    payload = _payload()
    assert payload is not None
    pcf = to_catenax(cell_disclosure(), envelope())
    received = check_answer(parse_battery_aspect(payload), pcf, CELL_MAKER_BPNL)
    assert received.granularity is Granularity.STAGES
    assert received.stages is not None and received.stages[Stage.PRODUCTION] == Decimal("45.6789")
    assert received.total == Decimal("58.02457")


def test_an_aspect_from_another_legal_entity_or_for_another_total_is_refused() -> None:
    payload = _payload()
    assert payload is not None
    aspect = parse_battery_aspect(payload)
    pcf = to_catenax(cell_disclosure(), envelope())
    with pytest.raises(InvalidInput, match="legal entity"):
        check_answer(aspect, pcf, "BPNL00000001CARM")
    # the provider's footprint changed to 60 kg CO2e: this aspect (58.02457) belongs to the old answer
    stages = dict(cell_disclosure().stages or {}) | {Stage.PRODUCTION: Decimal("47.65433")}
    other = to_catenax(cell_disclosure(total=Decimal(60), stages=stages), envelope())
    with pytest.raises(InvalidInput, match="absPcfValue"):
        check_answer(aspect, other, CELL_MAKER_BPNL)
