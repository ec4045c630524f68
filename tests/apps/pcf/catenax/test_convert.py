"""The bridge: one footprint as Ouranos CFP, PACT v3 and Catena-X 9.0.0 reads back as the same numbers."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from battrace.apps.pcf import DQR, Disclosure, Granularity, Stage
from battrace.apps.pcf.catenax.battery import parse_battery_aspect, to_battery_aspect
from battrace.apps.pcf.catenax.cfp import CfpModel, from_ouranos, to_ouranos
from battrace.apps.pcf.catenax.convert import (
    STAGE_SPLIT_SCHEMA,
    catenax_to_pact,
    envelope_of_catenax,
    envelope_of_pact,
    from_catenax,
    from_pact,
    pact_to_catenax,
    to_catenax,
    to_pact,
)
from battrace.apps.pcf.catenax.ids import bpnl_of, bpnl_urn, part_id_urn, trace_id_of, trace_id_urn
from battrace.apps.pcf.catenax.model import parse_pcf
from battrace.apps.pcf.pact.model import parse_footprint
from battrace.errors import InvalidInput

from .conftest import (
    BATTERY_INFO,
    CELL_MAKER_BPNL,
    PERIOD,
    PLATFORM,
    TRACE_ID,
    cell_disclosure,
    envelope,
    errors,
    load,
    pact_errors,
)

# -- through the wire: JSON text, as a partner would receive it ------------------------------------------


def via_pact(disclosure: Disclosure, **changes: Any) -> Disclosure:
    text = json.dumps(to_pact(disclosure, envelope(**changes)).to_json())
    return from_pact(parse_footprint(json.loads(text)))


def via_catenax(disclosure: Disclosure, *, battery: bool = True, **changes: Any) -> Disclosure:
    pcf_text = json.dumps(to_catenax(disclosure, envelope(**changes)).to_json())
    aspect = None
    if battery:
        aspect = parse_battery_aspect(json.dumps(to_battery_aspect(disclosure, BATTERY_INFO).to_json()))
    return from_catenax(parse_pcf(pcf_text.encode()), aspect)


def via_ouranos(disclosure: Disclosure) -> Disclosure:
    text = json.dumps([row.model_dump(mode="json") for row in to_ouranos(disclosure)])
    rows = tuple(CfpModel.model_validate(row) for row in json.loads(text))
    return from_ouranos(rows, platform=PLATFORM, reference_period=PERIOD)


# -- what every format writes is valid -------------------------------------------------------------------


def test_a_written_pact_footprint_validates_against_the_v3_openapi_schema(cell: Disclosure) -> None:
    assert pact_errors(to_pact(cell, envelope()).to_json()) == []


def test_a_written_catenax_pcf_validates_against_the_official_9_0_0_schema(cell: Disclosure) -> None:
    assert errors("Pcf-schema.json", to_catenax(cell, envelope()).to_json()) == []


@pytest.mark.parametrize(
    "disclosure",
    [
        cell_disclosure(
            granularity=Granularity.TOTAL,
            stages=None,
            dqr=None,
            pact_dqi=None,
            primary_data_share=None,
            factor_sources=None,
        ),
        cell_disclosure(
            total=Decimal("60.02457"),
            stages={**cell_disclosure().stages, Stage.DISTRIBUTION: Decimal(2)},  # type: ignore[dict-item]
        ),
    ],
    ids=["total only", "with distribution"],
)
def test_every_disclosure_level_writes_a_valid_pcf_and_footprint(disclosure: Disclosure) -> None:
    assert errors("Pcf-schema.json", to_catenax(disclosure, envelope()).to_json()) == []
    assert pact_errors(to_pact(disclosure, envelope()).to_json()) == []


# -- the bridge: the same numbers both ways --------------------------------------------------------------


def test_the_same_cell_footprint_reads_back_identically_from_pact_catenax_and_ouranos(
    cell: Disclosure,
) -> None:
    readings = {"pact": via_pact(cell), "catenax": via_catenax(cell), "ouranos": via_ouranos(cell)}
    for name, reading in readings.items():
        assert reading.total == Decimal("58.02457"), name
        assert reading.stages is not None, name
        assert reading.stages[Stage.RAW_MATERIAL] == Decimal("12.34567"), name
        assert reading.stages[Stage.PRODUCTION] == Decimal("45.6789"), name
        assert reading.dqr == DQR(TeR=Decimal("2.1"), GeR=Decimal("1.5"), TiR=Decimal("3")), name
        assert reading.declared_unit == "piece", name
        assert reading.product_id == f"urn:pact:{PLATFORM}:trace-id:{TRACE_ID}", name
        assert (reading.reference_period_start, reading.reference_period_end) == PERIOD, name


def test_pact_and_catenax_also_agree_on_the_pact_dqi_primary_share_and_sources(cell: Disclosure) -> None:
    pact, catenax = via_pact(cell), via_catenax(cell)
    for reading in (pact, catenax):
        assert reading.pact_dqi == DQR(TeR=Decimal("2"), GeR=Decimal("1.25"), TiR=Decimal("2.75"))
        assert reading.primary_data_share == Decimal("62.5")
        assert reading.factor_sources == cell.factor_sources


def test_pact_to_catenax_and_back_keeps_every_number(cell: Disclosure) -> None:
    pf = to_pact(cell, envelope(declared_unit_amount=Decimal("3")))
    back = catenax_to_pact(pact_to_catenax(pf))
    assert back.pcf == pf.pcf
    assert (back.id, back.productIds, back.companyIds) == (pf.id, pf.productIds, pf.companyIds)


def test_catenax_to_pact_and_back_keeps_every_number(cell: Disclosure) -> None:
    # one geography only (PACT admits one); PACT requires fossilCarbonContent, so 0 comes back stated
    pcf = to_catenax(cell, envelope(declared_unit_amount=Decimal("3"), country=None))
    again = pact_to_catenax(catenax_to_pact(pcf))
    assert again.productLifeCycleStagesAndEmissions == pcf.productLifeCycleStagesAndEmissions
    assert again.pcfAssessmentAndMethodology == pcf.pcfAssessmentAndMethodology
    assert again.companyAndProductInformation == pcf.companyAndProductInformation
    assert again.carbonContent[0].fossilCarbonContent == 0


# -- the unit trap ---------------------------------------------------------------------------------------


def test_pact_and_catenax_state_values_per_declared_unit_amount_ouranos_per_one_unit() -> None:
    # 10.5 kg CO2e per kg, declared unit = 2 kg: PACT and Catena-X say 21 per declared unit
    per_kg = cell_disclosure(
        declared_unit="kilogram",
        total=Decimal("10.5"),
        stages={
            Stage.RAW_MATERIAL: Decimal("4"),
            Stage.PRODUCTION: Decimal("6.5"),
            Stage.DISTRIBUTION: Decimal(0),
            Stage.END_OF_LIFE: Decimal(0),
        },
    )
    amount: dict[str, Any] = {"declared_unit_amount": Decimal(2), "mass_per_declared_unit": Decimal(2)}
    assert to_pact(per_kg, envelope(**amount)).pcf.pcfExcludingBiogenicUptake == Decimal(21)
    production = to_catenax(per_kg, envelope(**amount)).productLifeCycleStagesAndEmissions[0].productionStage
    assert production[0].pcfExcludingBiogenicUptake == Decimal(21)
    assert [row.ghgEmission for row in to_ouranos(per_kg)] == [4.0, 6.5]
    assert [row.ghgDeclaredUnit for row in to_ouranos(per_kg)] == ["kgCO2e/kilogram"] * 2
    assert via_pact(per_kg, **amount).total == Decimal("10.5")
    assert via_catenax(per_kg, **amount).total == Decimal("10.5")


def test_a_catenax_distribution_stage_is_reported_separately_and_added_back() -> None:
    stages = {
        Stage.RAW_MATERIAL: Decimal(10),
        Stage.PRODUCTION: Decimal(30),
        Stage.DISTRIBUTION: Decimal("1.5"),
        Stage.END_OF_LIFE: Decimal(0),
    }
    disclosure = cell_disclosure(total=Decimal("41.5"), stages=stages)
    lifecycle = to_catenax(disclosure, envelope()).productLifeCycleStagesAndEmissions[0]
    assert lifecycle.productionStage[0].pcfExcludingBiogenicUptake == Decimal(40)
    assert lifecycle.distributionStage[0].distributionStageIncluded is True
    assert lifecycle.distributionStage[0].distributionStagePcfExcludingBiogenicUptake == Decimal("1.5")
    assert via_catenax(disclosure).total == Decimal("41.5")
    assert to_pact(disclosure, envelope()).pcf.outboundLogisticsGhgEmissions == Decimal("1.5")


# -- Ouranos: rounding, DQR weighting, what it cannot carry ----------------------------------------------


def test_ouranos_ghg_emission_keeps_five_decimals_and_rounds_the_sixth_up() -> None:
    stages = {
        Stage.RAW_MATERIAL: Decimal("1.000001"),
        Stage.PRODUCTION: Decimal("2.5"),
        Stage.DISTRIBUTION: Decimal(0),
        Stage.END_OF_LIFE: Decimal(0),
    }
    rows = to_ouranos(cell_disclosure(total=Decimal("3.500001"), stages=stages))
    assert rows[0].ghgEmission == 1.00001


def test_ouranos_stage_dqrs_combine_weighted_by_emissions() -> None:
    def row(kind: str, ghg: float, ter: float) -> CfpModel:
        return CfpModel.model_validate(
            {
                "cfpId": None,
                "traceId": str(TRACE_ID),
                "ghgEmission": ghg,
                "ghgDeclaredUnit": "kgCO2e/unit",
                "cfpType": f"{kind}ProductionResponse",
                "dqrType": f"{kind}ProcessingResponse",
                "dqrValue": {"TeR": ter, "GeR": 2, "TiR": 2},
            }
        )

    reading = from_ouranos(
        (row("pre", 10, 1), row("main", 30, 3)), platform=PLATFORM, reference_period=PERIOD
    )
    assert reading.dqr is not None
    assert reading.dqr.TeR == Decimal("2.5")  # (1·10 + 3·30) / 40
    assert reading.total == Decimal(40)


def test_ouranos_cannot_carry_distribution_or_end_of_life_and_says_so() -> None:
    stages = {**cell_disclosure().stages, Stage.END_OF_LIFE: Decimal(1)}  # type: ignore[dict-item]
    with pytest.raises(InvalidInput, match="end_of_life"):
        to_ouranos(cell_disclosure(total=Decimal("59.02457"), stages=stages))


def test_ouranos_needs_the_stage_split() -> None:
    with pytest.raises(InvalidInput, match="stages"):
        to_ouranos(cell_disclosure(granularity=Granularity.DATA_QUALITY, stages=None))


def test_ouranos_refuses_a_unit_it_has_no_name_for() -> None:
    with pytest.raises(InvalidInput, match="hour"):
        to_ouranos(cell_disclosure(declared_unit="hour"))


def test_an_ouranos_answer_must_be_the_two_response_rows() -> None:
    rows = to_ouranos(cell_disclosure())
    with pytest.raises(InvalidInput, match="exactly"):
        from_ouranos(rows[:1], platform=PLATFORM, reference_period=PERIOD)


# -- identifiers and the extension -----------------------------------------------------------------------


def test_identifiers_map_between_bpnl_trace_ids_and_urns() -> None:
    assert bpnl_urn(CELL_MAKER_BPNL) == "urn:bpn:id:BPNL00000003CELL"
    assert bpnl_of(("urn:x:y", "urn:bpn:id:BPNL00000003CELL")) == CELL_MAKER_BPNL
    assert bpnl_of(("urn:BPNL000000000DWF",)) == "BPNL000000000DWF"  # the aspect example's form
    assert trace_id_of(trace_id_urn(PLATFORM, TRACE_ID)) == (PLATFORM, TRACE_ID)
    assert trace_id_of("urn:gtin:4712345060507") is None
    assert part_id_urn("cells.example.jp", "C60-811") == "urn:pact:cells.example.jp:product-id:C60-811"
    with pytest.raises(InvalidInput):
        bpnl_urn("12345")


def test_catenax_requires_the_bpnl_among_the_company_ids(cell: Disclosure) -> None:
    with pytest.raises(InvalidInput, match="BPNL"):
        to_catenax(cell, envelope(company_ids=("urn:pact:cells.example.jp:company-id:7",)))


def test_the_stage_split_travels_in_a_pact_extension_under_our_schema_url(cell: Disclosure) -> None:
    pf = to_pact(cell, envelope())
    assert pf.extensions is not None
    assert [e.dataSchema for e in pf.extensions] == [STAGE_SPLIT_SCHEMA]
    assert STAGE_SPLIT_SCHEMA.startswith("https://w3id.org/battrace/")


def test_a_total_only_disclosure_writes_no_extension_and_reads_back_total_only() -> None:
    total_only = cell_disclosure(
        granularity=Granularity.TOTAL,
        stages=None,
        dqr=None,
        pact_dqi=None,
        primary_data_share=None,
        factor_sources=None,
    )
    assert to_pact(total_only, envelope()).extensions is None
    reading = via_pact(total_only)
    assert (reading.granularity, reading.stages, reading.total) == (
        Granularity.TOTAL,
        None,
        Decimal("58.02457"),
    )


def test_a_malformed_stage_extension_is_invalid_input(cell: Disclosure) -> None:
    data = to_pact(cell, envelope()).to_json()
    data["extensions"][0]["data"]["stages"] = {"raw": "1"}
    with pytest.raises(InvalidInput, match="stages"):
        from_pact(parse_footprint(data))


def test_a_negative_total_cannot_be_written_to_pact_or_catenax() -> None:
    credit = cell_disclosure(total=Decimal("-1"), stages=None, granularity=Granularity.DATA_QUALITY)
    with pytest.raises(InvalidInput, match="negative"):
        to_pact(credit, envelope())
    with pytest.raises(InvalidInput, match="negative"):
        to_catenax(credit, envelope())


# -- the official Catena-X example through the bridge ----------------------------------------------------


def test_the_official_catenax_example_becomes_a_valid_pact_footprint_with_its_numbers() -> None:
    pf = catenax_to_pact(parse_pcf(load("Pcf.json")))
    assert pact_errors(pf.to_json()) == []
    # hand-read from Pcf.json: liter, amount 1.0, production 2.9 (distribution not included), fossil 0.5
    assert pf.pcf.declaredUnitOfMeasurement == "liter"
    assert pf.pcf.pcfExcludingBiogenicUptake == Decimal("2.9")
    assert pf.pcf.pcfIncludingBiogenicUptake == Decimal("1.9")
    assert pf.pcf.fossilGhgEmissions == Decimal("0.5")
    assert pf.pcf.biogenicCO2Uptake == Decimal(-1)
    assert pf.pcf.fossilCarbonContent == Decimal("0.1")
    assert pf.pcf.dqi is not None and pf.pcf.dqi.technologicalDQR == Decimal(2)
    assert pf.pcf.primaryDataShare == Decimal("56.12")
    assert pf.pcf.ipccCharacterizationFactors == ("AR5",)
    assert pf.pcf.crossSectoralStandards == ("ISO14067",)
    assert str(pf.id) == "3893bb5d-da16-4dc1-9185-11d97476c254"


def test_the_official_example_header_survives_a_trip_through_pact() -> None:
    pcf = parse_pcf(load("Pcf.json"))
    pf = catenax_to_pact(pcf)
    header = envelope_of_pact(pf)
    original = envelope_of_catenax(pcf)
    # PACT has one geography: the most specific given (the country) is kept, the region reads as "Global"
    assert header == replace(original, region="Global", partial_full="Cradle-to-gate")


def test_a_pcf_without_ipcc_report_cannot_become_pact() -> None:
    raw = load("Pcf.json")
    method = raw["pcfAssessmentAndMethodology"][0]["pcfMethodology"][0]
    method["gwpCharacterizationFactorDetails"][0]["ipccCharacterizationFactors"] = "unspecified"
    with pytest.raises(InvalidInput, match="unspecified"):
        catenax_to_pact(parse_pcf(raw))


def test_a_battery_aspect_that_disagrees_with_the_pcf_total_is_refused(cell: Disclosure) -> None:
    stages = dict(cell.stages or {})
    stages[Stage.PRODUCTION] = Decimal("37.65433")  # 12.34567 + 37.65433 = 50, not the Pcf's 58.02457
    other = cell_disclosure(total=Decimal("50"), stages=stages)
    with pytest.raises(InvalidInput, match="absPcfValue"):
        from_catenax(to_catenax(cell, envelope()), to_battery_aspect(other, BATTERY_INFO))


def test_reference_period_comes_from_the_pcf_in_utc(cell: Disclosure) -> None:
    time = to_catenax(cell, envelope()).to_json()["pcfAssessmentAndMethodology"][0][
        "pcfAssessmentInformation"
    ][0]["time"][0]
    assert time["referencePeriodStart"] == "2025-01-01T00:00:00Z"
    assert datetime.fromisoformat(time["created"]) == datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    assert uuid.UUID(
        to_catenax(cell, envelope()).to_json()["pcfAssessmentAndMethodology"][0]["pcfAssessmentInformation"][
            0
        ]["idAndVersion"][0]["id"]
    )
