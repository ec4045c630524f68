"""The bridge between the Ouranos API and the data-space PCF app, both ways, on both stores.

The world of test_service: A's cell, per unit: pre 1.0 own, main 0.5 own, DQR pre (1, 1, 1), main (2, 2, 2),
with 3 kg of B's cathode material, per kg pre 2.0, main 1.0, DQR pre (2, 3, 4), main (4, 4, 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from battrace.apps.pcf.model import DQR, DeclaredUnit, Disclosure, Granularity, Stage
from battrace.apps.pcf.ouranos.bridge import cfp_of, footprint_of, import_disclosure
from battrace.apps.pcf.ouranos.model import CfpModel
from battrace.errors import InvalidInput, NotFound

from .conftest import A, B, World, cfp_rows
from .test_service import trade_flow

PERIOD = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
RAW, PROD, DIST, EOL = Stage.RAW_MATERIAL, Stage.PRODUCTION, Stage.DISTRIBUTION, Stage.END_OF_LIFE


def received(
    stages: dict[Stage, str] | None,
    *,
    total: str = "3.0",
    unit: DeclaredUnit = "kilogram",
    dqr: tuple[str, str, str] | None = ("2", "3", "4"),
) -> Disclosure:
    """What a European supplier disclosed through the data space, per 1 kg."""
    return Disclosure(
        product_id="urn:pact:eu-cathode.example:product-id:NMC811",
        declared_unit=unit,
        total=Decimal(total),
        reference_period_start=PERIOD[0],
        reference_period_end=PERIOD[1],
        granularity=Granularity.STAGES if stages is not None else Granularity.DATA_QUALITY,
        stages=None if stages is None else {s: Decimal(v) for s, v in stages.items()},
        dqr=None if dqr is None else DQR(TeR=Decimal(dqr[0]), GeR=Decimal(dqr[1]), TiR=Decimal(dqr[2])),
    )


def by_type(rows: list[CfpModel]) -> dict[str, CfpModel]:
    return {row.cfpType: row for row in rows}


# -- JP -> EU ------------------------------------------------------------------------------------------------


def test_the_exported_footprint_is_the_cells_ouranos_cfp(world: World) -> None:
    ids = trade_flow(world)
    pre, main = world.service.stage_results(A, ids["cell"])
    footprint = footprint_of(pre, main, product_id="urn:pact:jp.example:trace-id:x", reference_period=PERIOD)
    # pre 1.0 + 3·2.0 = 7.0, main 0.5 + 3·1.0 = 3.5: total 10.5 per kg (kgCO2e/kilogram → kilogram)
    assert footprint.total == Decimal("10.5")
    assert footprint.declared_unit == "kilogram"
    assert footprint.stages == {RAW: Decimal("7.0"), PROD: Decimal("3.5"), DIST: 0, EOL: 0}
    assert (footprint.own, footprint.purchased) == (Decimal("1.5"), Decimal("9.0"))
    # stage DQRs weighted by stage emissions (notes §4.3): TeR (7·13/7 + 3.5·13/3.5)/10.5 = 26/10.5,
    # GeR (19 + 13)/10.5, TiR (25 + 13)/10.5 — each stage DQR first rounded to 5 places, as Ouranos does
    assert footprint.dqr == DQR(TeR=Decimal("2.47619"), GeR=Decimal("3.04762"), TiR=Decimal("3.61905"))
    assert footprint.reference_period_start == PERIOD[0]


def test_the_exported_total_is_what_the_ouranos_api_shows_as_totals(world: World) -> None:
    ids = trade_flow(world)
    rows = by_type(world.service.get_cfp(A, [ids["cell"]]))
    shown = sum(
        Decimal(str(rows[t].ghgEmission))
        for t in ("preProductionTotal", "preComponentTotal", "mainProductionTotal", "mainComponentTotal")
    )
    pre, main = world.service.stage_results(A, ids["cell"])
    assert footprint_of(pre, main, product_id="urn:x:y", reference_period=PERIOD).total == shown


def test_only_the_owner_of_a_part_exports_its_cfp(world: World) -> None:
    ids = trade_flow(world)
    with pytest.raises(NotFound):
        world.service.stage_results(B, ids["cell"])


# -- EU -> JP: the conversion --------------------------------------------------------------------------------


def test_a_stage_split_becomes_pre_and_main_exactly() -> None:
    cfp = cfp_of(received({RAW: "2.123456789", PROD: "0.876543211", DIST: "0", EOL: "0"}), trace_id="t")
    assert (cfp.pre.production, cfp.main.production) == (Decimal("2.123456789"), Decimal("0.876543211"))
    assert cfp.pre.dqr == cfp.main.dqr == (Decimal(2), Decimal(3), Decimal(4))
    assert cfp.unit == "kgCO2e/kilogram"


def test_a_piece_is_an_ouranos_unit() -> None:
    cfp = cfp_of(received({RAW: "1", PROD: "2"}, unit="piece"), trace_id="t")
    assert cfp.unit == "kgCO2e/unit"


def test_distribution_emissions_have_no_place_in_an_ouranos_cfp() -> None:
    with pytest.raises(InvalidInput, match="distribution"):
        cfp_of(received({RAW: "2", PROD: "1", DIST: "0.5"}), trace_id="t")


def test_a_total_without_its_split_goes_to_the_stage_named() -> None:
    with pytest.raises(InvalidInput, match="stage split"):
        cfp_of(received(None), trace_id="t")
    cfp = cfp_of(received(None), trace_id="t", stage=PROD)
    assert (cfp.pre.production, cfp.main.production) == (Decimal(0), Decimal("3.0"))


# -- EU -> JP: answering the buyer's request -----------------------------------------------------------------


def _buyer_asks(world: World) -> dict[str, str]:
    structure = world.buyer_structure(amount=3.0)
    cell = structure.parentPartsModel.traceId or ""
    child = structure.childrenPartsModel[0].traceId or ""
    rows = cfp_rows(cell, pre=(1.0, 0), main=(0.5, 0), pre_dqr=(1, 1, 1), main_dqr=(2, 2, 2))
    world.service.put_cfp(A, rows)
    trade = world.request_cfp(child).tradeModel.tradeId or ""
    return {"cell": cell, "child": child, "trade": trade}


def test_a_received_footprint_answers_the_buyers_request_and_enters_its_rollup(world: World) -> None:
    ids = _buyer_asks(world)
    with world.service.store.unit_of_work():
        imported = import_disclosure(
            world.service, received({RAW: "2.0", PROD: "1.0"}), trace_id=ids["child"], name="eu-cathode"
        )
    assert (imported.trade_id, imported.supplier_operator_id) == (ids["trade"], B)
    answer = by_type(world.service.get_cfp(A, [ids["child"]]))
    assert answer["preProductionResponse"].ghgEmission == 2.0
    assert answer["mainProductionResponse"].ghgEmission == 1.0
    cell = by_type(world.service.get_cfp(A, [ids["cell"]]))
    assert cell["preComponentTotal"].ghgEmission == 6.0  # 3 kg x 2.0
    assert cell["mainComponentTotal"].ghgEmission == 3.0  # 3 kg x 1.0
    status = world.service.list_status(A, target="REQUEST")[0]
    assert status.requestStatus.cfpResponseStatus == "COMPLETED"


def test_importing_again_updates_the_same_part_and_cfp(world: World) -> None:
    ids = _buyer_asks(world)
    with world.service.store.unit_of_work():
        first = import_disclosure(
            world.service, received({RAW: "2", PROD: "1"}), trace_id=ids["child"], name="x"
        )
    with world.service.store.unit_of_work():
        second = import_disclosure(
            world.service, received({RAW: "4", PROD: "1"}), trace_id=ids["child"], name="x"
        )
    assert (second.supplier_trace_id, second.cfp.cfp_id) == (first.supplier_trace_id, first.cfp.cfp_id)
    assert by_type(world.service.get_cfp(A, [ids["cell"]]))["preComponentTotal"].ghgEmission == 12.0  # 3 x 4


def test_a_footprint_per_piece_cannot_answer_for_kilograms(world: World) -> None:
    ids = _buyer_asks(world)
    with pytest.raises(InvalidInput, match="kilogram"), world.service.store.unit_of_work():
        import_disclosure(
            world.service, received({RAW: "1", PROD: "1"}, unit="piece"), trace_id=ids["child"], name="x"
        )
    assert world.service.list_parts(B) == []  # nothing half-written


def test_without_an_open_request_there_is_nothing_to_answer(world: World) -> None:
    structure = world.buyer_structure()
    child = structure.childrenPartsModel[0].traceId or ""
    with pytest.raises(NotFound), world.service.store.unit_of_work():
        import_disclosure(world.service, received({RAW: "1", PROD: "1"}), trace_id=child, name="x")
