"""The two-company CFP trade of Ouranos (notes §4.2, §4.3): A asks B for the CFP of the cathode material it
buys, B links its own part, registers its CFP and grants TOTALCFP/TOTALDQR to A only; A's cell CFP then
includes B's totals. Expected figures are worked out by hand in the comments."""

from __future__ import annotations

import pytest

from battrace.apps.pcf.ouranos.model import AclItemGroup, CfpModel, RequestStatus, StatusModel
from battrace.apps.pcf.ouranos.service import TRANSITIONS, transition
from battrace.errors import InvalidInput, NotFound

from .conftest import A, B, C, World, cfp_rows, part

# B's cathode material, per kg: pre 2.0 (own), main 1.0 (own); DQR pre (2, 3, 4), main (4, 4, 4)
# A's cell, per unit: pre 1.0 own, main 0.5 own; DQR pre (1, 1, 1), main (2, 2, 2); 3 kg of B's material


def trade_flow(world: World, grant: tuple[AclItemGroup, ...] = ("TOTALCFP", "TOTALDQR")) -> dict[str, str]:
    service = world.service
    structure = world.buyer_structure(amount=3.0)
    cell = structure.parentPartsModel.traceId or ""
    child = structure.childrenPartsModel[0].traceId or ""
    service.put_cfp(A, cfp_rows(cell, pre=(1.0, 0), main=(0.5, 0), pre_dqr=(1, 1, 1), main_dqr=(2, 2, 2)))
    request = world.request_cfp(child)
    trade_id = request.tradeModel.tradeId or ""
    material = service.put_parts(B, part(B, world.plant(B), "CATHODE-MAT", terminated=True)).traceId or ""
    service.put_trade_response(B, trade_id, material)
    service.put_cfp(B, cfp_rows(material, pre=(2.0, 0), main=(1.0, 0), pre_dqr=(2, 3, 4), main_dqr=(4, 4, 4)))
    if grant:
        service.grant(B, material, A, grant)
    return {"cell": cell, "child": child, "material": material, "trade": trade_id}


def by_type(rows: list[CfpModel]) -> dict[str, CfpModel]:
    return {row.cfpType: row for row in rows}


def test_buyer_cell_cfp_includes_the_supplier_totals_weighted_by_amount(world: World) -> None:
    ids = trade_flow(world)
    rows = by_type(world.service.get_cfp(A, [ids["cell"]]))
    assert rows["preProductionTotal"].ghgEmission == 1.0
    assert rows["preComponentTotal"].ghgEmission == 6.0  # 3 kg x 2.0
    assert rows["mainProductionTotal"].ghgEmission == 0.5
    assert rows["mainComponentTotal"].ghgEmission == 3.0  # 3 kg x 1.0
    # registered values come back unchanged
    assert rows["preProduction"].ghgEmission == 1.0 and rows["preComponent"].ghgEmission == 0


def test_stage_dqr_is_weighted_by_each_contributions_emissions(world: World) -> None:
    ids = trade_flow(world)
    rows = by_type(world.service.get_cfp(A, [ids["cell"]]))
    pre = rows["preComponentTotal"].dqrValue
    # (1·1 + 2·6)/7, (1·1 + 3·6)/7, (1·1 + 4·6)/7 rounded to 5 decimals
    assert (pre.TeR, pre.GeR, pre.TiR) == (1.85714, 2.71429, 3.57143)
    main = rows["mainProductionTotal"].dqrValue
    assert main.TeR == 3.71429  # (2·0.5 + 4·3)/3.5
    assert rows["preProductionTotal"].dqrType == "preProcessingTotal"


def test_buyer_sees_the_supplier_answer_as_response_rows_of_its_child_part(world: World) -> None:
    ids = trade_flow(world)
    rows = by_type(world.service.get_cfp(A, [ids["child"]]))
    assert set(rows) == {"preProductionResponse", "mainProductionResponse"}
    assert rows["preProductionResponse"].ghgEmission == 2.0
    assert rows["preProductionResponse"].traceId == ids["child"]
    dqr = rows["preProductionResponse"].dqrValue
    assert (dqr.TeR, dqr.GeR, dqr.TiR) == (2, 3, 4)
    assert rows["mainProductionResponse"].dqrType == "mainProcessingResponse"


def test_without_totaldqr_the_supplier_rating_is_withheld_and_left_out_of_the_weighting(world: World) -> None:
    ids = trade_flow(world, grant=("TOTALCFP",))
    response = by_type(world.service.get_cfp(A, [ids["child"]]))["preProductionResponse"]
    assert response.ghgEmission == 2.0
    assert (response.dqrValue.TeR, response.dqrValue.GeR, response.dqrValue.TiR) == (None, None, None)
    total = by_type(world.service.get_cfp(A, [ids["cell"]]))["preComponentTotal"]
    assert total.ghgEmission == 6.0
    assert total.dqrValue.TeR == 1  # only A's own rating is known


def test_without_a_grant_the_buyer_gets_no_supplier_value(world: World) -> None:
    ids = trade_flow(world, grant=())
    assert world.service.get_cfp(A, [ids["child"]]) == []
    rows = by_type(world.service.get_cfp(A, [ids["cell"]]))
    assert rows["preComponentTotal"].ghgEmission == 0
    assert rows["mainComponentTotal"].ghgEmission == 0


def test_another_operator_sees_nothing_of_either_company(world: World) -> None:
    ids = trade_flow(world)
    service = world.service
    assert service.get_cfp(C, list(ids.values())[:3]) == []
    assert service.list_trade_requests(C) == []
    assert service.list_trade_responses(C) == []
    assert service.list_status(C) == []
    assert service.list_parts(C) == []
    assert service.get_certifications(C, ids["material"]) == []
    with pytest.raises(NotFound):
        service.get_parts_structure(C, ids["cell"])


def test_a_grant_to_one_buyer_does_not_reach_another_buyer_of_the_same_part(world: World) -> None:
    ids = trade_flow(world)
    service = world.service
    own = service.put_parts(C, part(C, world.plant(C), "MODULE-IN")).traceId or ""
    trade = world.request_cfp(own, buyer=C)
    service.put_trade_response(B, trade.tradeModel.tradeId or "", ids["material"])
    assert service.list_status(C, target="REQUEST")[0].requestStatus.cfpResponseStatus == "COMPLETED"
    assert service.get_cfp(C, [own]) == []  # answered, but B granted only A


def test_registering_the_cfp_completes_a_linked_request(world: World) -> None:
    service = world.service
    structure = world.buyer_structure()
    request = world.request_cfp(structure.childrenPartsModel[0].traceId or "")
    assert request.statusModel.requestStatus.cfpResponseStatus == "NOT_COMPLETED"
    material = service.put_parts(B, part(B, world.plant(B), "CATHODE-MAT", terminated=True)).traceId or ""
    service.put_trade_response(B, request.tradeModel.tradeId or "", material)
    assert service.list_status(A, target="REQUEST")[0].requestStatus.cfpResponseStatus == "NOT_COMPLETED"
    service.put_cfp(B, cfp_rows(material, pre=(2.0, 0), main=(1.0, 0), pre_dqr=(2, 2, 2), main_dqr=(2, 2, 2)))
    status = service.list_status(A, target="REQUEST")[0].requestStatus
    assert status.cfpResponseStatus == "COMPLETED"
    assert status.tradeTreeStatus == "TERMINATED"  # B's part is a leaf
    assert (status.completedCount, status.tradesCount) == (1, 1)


def cancel_or_reject(status_id: str, wanted: str, reply: str | None = None) -> StatusModel:
    return StatusModel(
        statusId=status_id,
        tradeId=None,
        requestStatus=RequestStatus(cfpResponseStatus=wanted, tradeTreeStatus="UNTERMINATED"),  # type: ignore[arg-type]
        message=None,
        replyMessage=reply,
        requestType="CFP",
        responseDueDate=None,
    )


def test_supplier_sends_a_request_back_with_a_reply_message(world: World) -> None:
    request = world.request_cfp(world.buyer_structure().childrenPartsModel[0].traceId or "")
    world.service.put_status(B, cancel_or_reject(request.statusModel.statusId or "", "REJECT", "品番違い"))
    status = world.service.list_status(A, target="REQUEST")[0]
    assert status.requestStatus.cfpResponseStatus == "REJECT"
    assert status.replyMessage == "品番違い"


def test_buyer_cannot_reject_and_supplier_cannot_cancel(world: World) -> None:
    request = world.request_cfp(world.buyer_structure().childrenPartsModel[0].traceId or "")
    status_id = request.statusModel.statusId or ""
    with pytest.raises(InvalidInput):
        world.service.put_status(A, cancel_or_reject(status_id, "REJECT"))
    with pytest.raises(InvalidInput):
        world.service.put_status(B, cancel_or_reject(status_id, "CANCEL"))


def test_a_cancelled_request_can_no_longer_be_answered(world: World) -> None:
    request = world.request_cfp(world.buyer_structure().childrenPartsModel[0].traceId or "")
    world.service.put_status(A, cancel_or_reject(request.statusModel.statusId or "", "CANCEL"))
    material = world.service.put_parts(B, part(B, world.plant(B), "CATHODE-MAT")).traceId or ""
    with pytest.raises(InvalidInput):
        world.service.put_trade_response(B, request.tradeModel.tradeId or "", material)


def test_status_table_ends_requests_in_cancel_and_reject() -> None:
    assert TRANSITIONS["CANCEL"] == {} and TRANSITIONS["REJECT"] == {}
    assert transition("NOT_COMPLETED", "answer", "upstream") == "COMPLETED"
    with pytest.raises(InvalidInput):
        transition("NOT_COMPLETED", "answer", "downstream")  # only the supplier answers


def test_put_cfp_needs_all_four_own_types(world: World) -> None:
    cell = world.buyer_structure().parentPartsModel.traceId or ""
    rows = cfp_rows(cell, pre=(1, 0), main=(1, 0), pre_dqr=(1, 1, 1), main_dqr=(1, 1, 1))
    with pytest.raises(InvalidInput, match="4 elements"):
        world.service.put_cfp(A, rows[:3])


def test_put_cfp_refuses_a_sixth_decimal(world: World) -> None:
    cell = world.buyer_structure().parentPartsModel.traceId or ""
    rows = cfp_rows(cell, pre=(1.000001, 0), main=(1, 0), pre_dqr=(1, 1, 1), main_dqr=(1, 1, 1))
    with pytest.raises(InvalidInput, match="5th decimal"):
        world.service.put_cfp(A, rows)


def test_put_cfp_refuses_two_ratings_for_one_stage(world: World) -> None:
    cell = world.buyer_structure().parentPartsModel.traceId or ""
    rows = cfp_rows(cell, pre=(1, 0), main=(1, 0), pre_dqr=(1, 1, 1), main_dqr=(1, 1, 1))
    rows[1] = rows[1].model_copy(update={"dqrValue": rows[1].dqrValue.model_copy(update={"TeR": 3.0})})
    with pytest.raises(InvalidInput, match="different dqrValues"):
        world.service.put_cfp(A, rows)


def test_totals_are_rounded_up_at_the_sixth_decimal(world: World) -> None:
    ids = trade_flow(world)
    world.service.put_parts_structure(
        A,
        world.service.get_parts_structure(A, ids["cell"]).model_copy(
            update={
                "childrenPartsModel": [
                    world.service.get_parts_structure(A, ids["cell"])
                    .childrenPartsModel[0]
                    .model_copy(update={"amountRequired": 0.33333})
                ]
            }
        ),
    )
    total = by_type(world.service.get_cfp(A, [ids["cell"]]))["mainComponentTotal"]
    assert total.ghgEmission == 0.33333  # 0.33333 x 1.0 exactly
    pre = by_type(world.service.get_cfp(A, [ids["cell"]]))["preComponentTotal"]
    assert pre.ghgEmission == 0.66666  # 0.33333 x 2.0 exactly: nothing to round
    rows = cfp_rows(
        ids["material"],
        pre=(2.00001, 0),
        main=(1.0, 0),
        pre_dqr=(2, 3, 4),
        main_dqr=(4, 4, 4),
        cfp_id=world.service.store.cfps.get(ids["material"]).cfp_id,  # type: ignore[union-attr]
    )
    world.service.put_cfp(B, rows)
    pre = by_type(world.service.get_cfp(A, [ids["cell"]]))["preComponentTotal"]
    assert pre.ghgEmission == 0.66667  # 0.33333 x 2.00001 = 0.6666633333 → rounded up


def test_a_part_cannot_be_its_own_child(world: World) -> None:
    structure = world.buyer_structure()
    parent = structure.parentPartsModel
    with pytest.raises(InvalidInput):
        world.service.put_parts_structure(
            A,
            structure.model_copy(
                update={
                    "childrenPartsModel": [
                        parent.model_copy(update={"amountRequired": 1.0, "amountRequiredUnit": "unit"})
                    ]
                }
            ),
        )


def test_a_part_in_a_structure_cannot_be_deleted(world: World) -> None:
    structure = world.buyer_structure()
    with pytest.raises(InvalidInput):
        world.service.delete_parts(A, structure.childrenPartsModel[0].traceId or "")
