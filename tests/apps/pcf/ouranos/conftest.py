"""A small Ouranos world: buyer A (a cell maker), supplier B (a cathode maker) and bystander C.

The ``world`` fixture runs each test on both stores: in memory and on a node's database (``DocumentStore``),
so the persistent store is held to exactly the in-memory behaviour."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from battrace.apps.pcf.ouranos.auth import MemoryAuthenticator
from battrace.apps.pcf.ouranos.documents import DocumentStore
from battrace.apps.pcf.ouranos.model import (
    CfpModel,
    DqrValue,
    OperatorAttribute,
    OperatorModel,
    PartsModel,
    PartsStructureModel,
    PlantAttribute,
    PlantModel,
    RequestStatus,
    StatusModel,
    TradeModel,
    TradeRequestModel,
)
from battrace.apps.pcf.ouranos.service import OuranosService
from battrace.apps.pcf.ouranos.store import MemoryStore, OuranosStore
from battrace.connector.config import NodeSettings
from battrace.connector.node import Node

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
C = "cccccccc-0000-4000-8000-000000000003"
API_KEY = "platform-issued-key"
PASSWORD = "pw-Secret1"


def ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


def clock() -> datetime:
    return datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def operator(operator_id: str, name: str, number: str) -> OperatorModel:
    return OperatorModel(
        operatorId=operator_id,
        operatorName=name,
        operatorAddress="東京都千代田区1-1",
        openOperatorId=number,
        operatorAttribute=OperatorAttribute(globalOperatorId=None),
    )


def part(
    operator_id: str,
    plant_id: str,
    name: str,
    *,
    amount: float | None = None,
    unit: str | None = None,
    terminated: bool = False,
) -> PartsModel:
    return PartsModel.model_validate(
        {
            "traceId": None,
            "operatorId": operator_id,
            "plantId": plant_id,
            "partsName": name,
            "supportPartsName": None,
            "terminatedFlag": terminated,
            "amountRequired": amount,
            "amountRequiredUnit": unit,
        }
    )


def cfp_rows(
    trace_id: str,
    *,
    pre: tuple[float, float],
    main: tuple[float, float],
    pre_dqr: tuple[float, float, float],
    main_dqr: tuple[float, float, float],
    cfp_id: str | None = None,
    unit: str = "kgCO2e/kilogram",
) -> list[CfpModel]:
    """The four own rows of PUT cfp: (production, component) per stage and one DQR per stage."""
    rows = []
    for stage, values, dqr in (("pre", pre, pre_dqr), ("main", main, main_dqr)):
        for kind, value in zip(("Production", "Component"), values, strict=True):
            rows.append(
                CfpModel.model_validate(
                    {
                        "cfpId": cfp_id,
                        "traceId": trace_id,
                        "ghgEmission": value,
                        "ghgDeclaredUnit": unit,
                        "cfpType": f"{stage}{kind}",
                        "dqrType": f"{stage}Processing",
                        "dqrValue": DqrValue(TeR=dqr[0], GeR=dqr[1], TiR=dqr[2]),
                    }
                )
            )
    return rows


@dataclass
class World:
    service: OuranosService
    auth: MemoryAuthenticator
    plants: dict[str, str]

    def plant(self, operator_id: str) -> str:
        return self.plants[operator_id]

    def request_cfp(self, buyer_child: str, *, buyer: str = A, supplier: str = B) -> TradeRequestModel:
        return self.service.put_trade_request(
            buyer,
            TradeRequestModel(
                tradeModel=TradeModel(
                    tradeId=None,
                    downstreamOperatorId=buyer,
                    downstreamTraceId=buyer_child,
                    upstreamOperatorId=supplier,
                    upstreamTraceId=None,
                ),
                statusModel=StatusModel(
                    statusId=None,
                    tradeId=None,
                    requestStatus=RequestStatus(),
                    message="来月中にご回答をお願いします。",
                    replyMessage=None,
                    requestType="CFP",
                    responseDueDate=date(2026, 6, 30),
                ),
            ),
        )

    def buyer_structure(self, amount: float = 3.0) -> PartsStructureModel:
        """A's battery cell (parent) made with ``amount`` kg of cathode material (child) per cell."""
        return self.service.put_parts_structure(
            A,
            PartsStructureModel(
                parentPartsModel=part(A, self.plant(A), "CELL-01", unit=None),
                childrenPartsModel=[part(A, self.plant(A), "CATHODE-IN", amount=amount, unit="kilogram")],
            ),
        )


def make_world(store: OuranosStore | None = None) -> World:
    store = store if store is not None else MemoryStore()
    service = OuranosService(store, clock=clock, new_id=ids())
    accounts = store.accounts if isinstance(store, DocumentStore) else None
    auth = MemoryAuthenticator([API_KEY], iterations=1_000, accounts=accounts)
    plants = {}
    for operator_id, name, number in (
        (A, "A電池株式会社", "1000000000001"),
        (B, "B化学株式会社", "2000000000002"),
        (C, "C商事株式会社", "3000000000003"),
    ):
        service.register_operator(operator(operator_id, name, number))
        auth.add_account(f"{number}@example.com", PASSWORD, operator_id)
        plant = service.put_plant(
            operator_id,
            PlantModel(
                plantId=None,
                operatorId=operator_id,
                plantName=f"{name} 工場",
                plantAddress="東京都千代田区1-1",
                openPlantId=f"P{number}",
                plantAttribute=PlantAttribute(globalPlantId=None),
            ),
        )
        plants[operator_id] = plant.plantId or ""
    return World(service, auth, plants)


def node_at(data_dir: Path) -> Node:
    """A node that is not serving: its database and log are all the document store needs."""
    return Node(NodeSettings(name="jp-cell", port=8799, data_dir=data_dir, api_key="node-key", dev=True))


def document_store(node: Node) -> DocumentStore:
    return DocumentStore(node.store, node.log, clock=clock)


@pytest.fixture(params=["memory", "documents"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "memory":
        yield make_world()
        return
    node = node_at(tmp_path / "node")
    try:
        yield make_world(document_store(node))
    finally:
        node.store.dispose()
