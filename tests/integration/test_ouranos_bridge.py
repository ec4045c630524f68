"""The JP <-> EU footprint bridge across three real node processes (issue 6 items 6 and 7).

* ``cathode`` — a European cathode-material maker: computes its footprint from activity data and offers it,
  through DSP, to the Japanese cell maker's BPN only.
* ``jp`` — a Japanese cell maker working through the node's Ouranos API (``/ouranos``): login, parts
  structure (cell ← 3 kg cathode material), its own CFP, a CFP request to the cathode maker's operator.
  Its operator pulls the cathode footprint through DSP and answers the request with it (``bridge/import``),
  then hands the cell's Ouranos CFP to the data space (``bridge/export``).
* ``oem`` — a European carmaker receiving the cell footprint through DSP, and reading it on the cell maker's
  PACT host: the same numbers.

Worked by hand (kg CO2e):
  cathode, per kg: raw material 2 kg CO2 x GWP 1 = 2.0, production 1 kg CO2 x 1 = 1.0, total 3.0, DQR (2,3,4)
  cell, per piece: pre 1.0 own + 3 kg x 2.0 = 7.0; main 0.5 own + 3 kg x 1.0 = 3.5; total 10.5
  stage DQRs, weighted by emission and rounded to 5 places as Ouranos shows them:
    pre  TeR (1·1 + 2·6)/7 = 1.85714  GeR (1·1 + 3·6)/7 = 2.71429  TiR (1·1 + 4·6)/7 = 3.57143
    main TeR (2·0.5 + 2·3)/3.5 = 2    GeR (2·0.5 + 3·3)/3.5 = 2.85714  TiR (2·0.5 + 4·3)/3.5 = 3.71429
  one DQR for the EU side, stages weighted 7 : 3.5:
    TeR (7·1.85714 + 3.5·2)/10.5 = 1.90476  GeR (7·2.71429 + 3.5·2.85714)/10.5 = 29.00002/10.5 = 2.76191
    TiR (7·3.57143 + 3.5·3.71429)/10.5 = 38.000025/10.5 = 3.61905
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from battrace.apps.pcf import Stage
from battrace.apps.pcf.catenax.convert import from_pact
from battrace.apps.pcf.pact import PactClient
from battrace.devnet import NodeProcess
from battrace.http.ouranos import ouranos_api_key

from .conftest import free_port

PCF = "/management/v3/pcf"
OURANOS = "/management/v3/ouranos"
PERIOD = ["2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"]
RAW, PROD, DIST, EOL = Stage.RAW_MATERIAL, Stage.PRODUCTION, Stage.DISTRIBUTION, Stage.END_OF_LIFE
JP_ACCOUNT = {"accountId": "cell@jp.example", "password": "Cell-maker-1"}
EU_CATHODE_OPERATOR = "DE-CATHODE-001"


def bpn(name: str) -> str:
    return f"BPNL{name.upper():0>12}"


def _member(name: str) -> dict[str, Any]:
    return {
        "bpn": bpn(name),
        "membership": "active",
        "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
    }


@dataclass
class Ouranos:
    """An Ouranos client of the JP node: base URL ``<node>/ouranos``, the platform key, a bearer token."""

    node: NodeProcess
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.node.base_url + "/ouranos"

    def login(self) -> None:
        key = ouranos_api_key(self.node.api_key)
        body = {"operatorAccountId": JP_ACCOUNT["accountId"], "accountPassword": JP_ACCOUNT["password"]}
        response = httpx.post(f"{self.base}/auth/login", json=body, headers={"apiKey": key}, timeout=30)
        assert response.status_code == 201, response.text
        self.headers = {"apiKey": key, "Authorization": f"Bearer {response.json()['accessToken']}"}

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = httpx.request(method, self.base + path, json=body, headers=self.headers, timeout=30)
        assert response.status_code == expect, response.text
        return response.json() if response.content else None

    def cfp(self, trace_id: str) -> dict[str, dict[str, Any]]:
        rows = self.call("GET", f"/api/v1/datatransport?dataTarget=cfp&traceIds={trace_id}")
        return {row["cfpType"]: row for row in rows}


@dataclass
class Net:
    nodes: dict[str, NodeProcess]
    jp: Ouranos
    ids: dict[str, str] = field(default_factory=dict)

    def manage(self, name: str, method: str, path: str, body: Any = None) -> Any:
        with self.nodes[name].client() as client:
            return client.call(method, path, body, expect=(200, 201))


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    root: Path = tmp_path_factory.mktemp("ouranos-bridge")
    nodes = {name: NodeProcess(name, free_port(), root) for name in ("cathode", "jp", "oem")}
    for supplier, buyer in (("cathode", "jp"), ("jp", "oem")):
        nodes[supplier].peers[nodes[buyer].did] = _member(buyer)
        nodes[buyer].peers[nodes[supplier].did] = _member(supplier)
    try:
        with ThreadPoolExecutor(len(nodes)) as pool:  # each start waits for its node's health: in parallel
            list(pool.map(lambda node: node.start(timeout=60), nodes.values()))
        network = Net(nodes, Ouranos(nodes["jp"]))
        _cathode_offers_its_footprint(network)
        _cell_maker_works_through_ouranos(network)
        _cell_maker_answers_with_the_eu_footprint(network)
        _cell_footprint_reaches_the_oem(network)
        yield network
    finally:
        for node in nodes.values():
            node.stop()  # a node that never started has no process: nothing to stop


def _cathode_offers_its_footprint(net: Net) -> None:
    co2 = {"factor": "gwp100:AR6:CO2", "unit": "kg"}
    product = {
        "productId": "urn:pact:cathode.example.eu:product-id:NMC811-CAM",
        "declaredUnit": "kilogram",
        "referencePeriod": PERIOD,
        "ownDqr": {"TeR": "2", "GeR": "3", "TiR": "4"},
        "activities": [
            {**co2, "stage": RAW.value, "amount": "2", "label": "raw material, per kg"},
            {**co2, "stage": PROD.value, "amount": "1", "label": "calcination, per kg"},
        ],
    }
    net.manage("cathode", "PUT", f"{PCF}/products/nmc", product)
    net.manage("cathode", "POST", f"{PCF}/products/nmc/compute")
    offer = {"recipientBpn": bpn("jp"), "granularity": "stages"}
    net.ids["cathode-asset"] = net.manage("cathode", "POST", f"{PCF}/products/nmc/disclosures", offer)[
        "assetId"
    ]


def _onboard(net: Net) -> None:
    """The JP node's operator onboards its own company (with a login) and the EU supplier (no login: it
    answers through the data space)."""
    own = {
        "operatorName": "JPセル株式会社",
        "operatorAddress": "東京都千代田区1-1",
        "openOperatorId": "5000000000005",
        "plant": {"plantName": "JPセル 工場", "plantAddress": "茨城県1-1", "openPlantId": "JPCELL000001"},
        "account": JP_ACCOUNT,
    }
    supplier = {
        "operatorName": "EU Cathode GmbH",
        "operatorAddress": "Berlin",
        "openOperatorId": EU_CATHODE_OPERATOR,
        "globalOperatorId": f"urn:bpn:id:{bpn('cathode')}",
        "plant": {"plantName": "Cathode plant", "plantAddress": "Berlin", "openPlantId": "DEPLANT000001"},
    }
    net.ids["jp-operator"] = net.manage("jp", "POST", f"{OURANOS}/operators", own)["operator"]["operatorId"]
    net.ids["eu-operator"] = net.manage("jp", "POST", f"{OURANOS}/operators", supplier)["operator"][
        "operatorId"
    ]


def _part(net: Net, name: str, *, amount: float | None = None, unit: str | None = None) -> dict[str, Any]:
    return {
        "traceId": None,
        "operatorId": net.ids["jp-operator"],
        "plantId": net.ids["jp-plant"],
        "partsName": name,
        "supportPartsName": None,
        "terminatedFlag": False,
        "amountRequired": amount,
        "amountRequiredUnit": unit,
    }


def _own_cfp(trace_id: str) -> list[dict[str, Any]]:
    """The cell's own rows: pre 1.0 (DQR 1, 1, 1), main 0.5 (DQR 2, 2, 2), nothing registered as component."""
    rows = []
    for stage, production, dqr in (("pre", 1.0, 1.0), ("main", 0.5, 2.0)):
        for kind, value in (("Production", production), ("Component", 0.0)):
            rows.append(
                {
                    "cfpId": None,
                    "traceId": trace_id,
                    "ghgEmission": value,
                    "ghgDeclaredUnit": "kgCO2e/unit",
                    "cfpType": f"{stage}{kind}",
                    "dqrType": f"{stage}Processing",
                    "dqrValue": {"TeR": dqr, "GeR": dqr, "TiR": dqr},
                }
            )
    return rows


def _cell_maker_works_through_ouranos(net: Net) -> None:
    _onboard(net)
    jp = net.jp
    jp.login()
    net.ids["jp-plant"] = jp.call("GET", "/api/v1/authInfo?dataTarget=plant")[0]["plantId"]
    structure = {
        "parentPartsModel": _part(net, "CELL-21700"),
        "childrenPartsModel": [_part(net, "CATHODE-NMC811", amount=3, unit="kilogram")],
    }
    saved = jp.call("PUT", "/api/v1/datatransport?dataTarget=partsStructure", structure, expect=201)
    net.ids["cell"] = saved["parentPartsModel"]["traceId"]
    net.ids["cathode-in"] = saved["childrenPartsModel"][0]["traceId"]
    jp.call("PUT", "/api/v1/datatransport?dataTarget=cfp", _own_cfp(net.ids["cell"]), expect=201)
    supplier = jp.call("GET", f"/api/v1/authInfo?dataTarget=operator&openOperatorId={EU_CATHODE_OPERATOR}")
    request = {
        "tradeModel": {
            "tradeId": None,
            "downstreamOperatorId": net.ids["jp-operator"],
            "downstreamTraceId": net.ids["cathode-in"],
            "upstreamOperatorId": supplier["operatorId"],
            "upstreamTraceId": None,
        },
        "statusModel": {
            "statusId": None,
            "tradeId": None,
            "requestStatus": {},
            "message": "CFP of the NMC811 you ship us, please.",
            "replyMessage": None,
            "requestType": "CFP",
            "responseDueDate": "2026-12-31",
        },
    }
    trade = jp.call("PUT", "/api/v1/datatransport?dataTarget=tradeRequest", request, expect=201)
    net.ids["trade"] = trade["tradeModel"]["tradeId"]


def _cell_maker_answers_with_the_eu_footprint(net: Net) -> None:
    cathode = net.nodes["cathode"]
    pull = {
        "id": "eu-cathode",
        "providerDsp": cathode.dsp,
        "providerDid": cathode.did,
        "assetId": net.ids["cathode-asset"],
    }
    net.manage("jp", "POST", f"{PCF}/received", pull)
    body = {"receivedKey": "eu-cathode", "traceId": net.ids["cathode-in"]}
    net.ids["imported"] = net.manage("jp", "POST", f"{OURANOS}/bridge/import", body)["traceId"]


def _cell_footprint_reaches_the_oem(net: Net) -> None:
    export = {"traceId": net.ids["cell"], "productKey": "cell", "referencePeriod": PERIOD}
    net.manage("jp", "POST", f"{OURANOS}/bridge/export", export)
    offer = {"recipientBpn": bpn("oem"), "granularity": "stages"}
    asset = net.manage("jp", "POST", f"{PCF}/products/cell/disclosures", offer)["assetId"]
    jp = net.nodes["jp"]
    pull = {"id": "jp-cell", "providerDsp": jp.dsp, "providerDid": jp.did, "assetId": asset}
    net.manage("oem", "POST", f"{PCF}/received", pull)


# -- EU -> JP ------------------------------------------------------------------------------------------------


def test_the_eu_footprint_is_the_answer_the_cell_maker_reads_in_ouranos(net: Net) -> None:
    answer = net.jp.cfp(net.ids["cathode-in"])
    assert answer["preProductionResponse"]["ghgEmission"] == 2.0  # per kg, raw material
    assert answer["mainProductionResponse"]["ghgEmission"] == 1.0  # per kg, production
    assert answer["preProductionResponse"]["ghgDeclaredUnit"] == "kgCO2e/kilogram"
    assert answer["preProductionResponse"]["dqrValue"] == {"TeR": 2.0, "GeR": 3.0, "TiR": 4.0}


def test_the_cell_makers_ouranos_rollup_includes_the_eu_footprint(net: Net) -> None:
    cell = net.jp.cfp(net.ids["cell"])
    assert cell["preProductionTotal"]["ghgEmission"] == 1.0
    assert cell["preComponentTotal"]["ghgEmission"] == 6.0  # 3 kg x 2.0
    assert cell["mainProductionTotal"]["ghgEmission"] == 0.5
    assert cell["mainComponentTotal"]["ghgEmission"] == 3.0  # 3 kg x 1.0
    assert cell["preComponentTotal"]["dqrValue"] == {"TeR": 1.85714, "GeR": 2.71429, "TiR": 3.57143}


def test_the_request_shows_completed_to_the_cell_maker(net: Net) -> None:
    (status,) = net.jp.call("GET", "/api/v1/datatransport?dataTarget=status&statusTarget=REQUEST")
    assert status["tradeId"] == net.ids["trade"]
    assert status["requestStatus"]["cfpResponseStatus"] == "COMPLETED"


# -- JP -> EU ------------------------------------------------------------------------------------------------


def test_the_oem_receives_the_cell_footprint_through_dsp_with_the_same_numbers(net: Net) -> None:
    received = net.manage("oem", "GET", f"{PCF}/received/jp-cell")["disclosure"]
    assert Decimal(received["total"]) == Decimal("10.5")  # 7.0 + 3.5 per piece
    assert received["declared_unit"] == "piece"  # kgCO2e/unit
    stages = {Stage(k): Decimal(v) for k, v in received["stages"].items()}
    assert stages == {RAW: Decimal("7.0"), PROD: Decimal("3.5"), DIST: 0, EOL: 0}
    assert {k: Decimal(v) for k, v in received["dqr"].items()} == {
        "TeR": Decimal("1.90476"),
        "GeR": Decimal("2.76191"),
        "TiR": Decimal("3.61905"),
    }
    assert received["product_id"] == f"urn:pact:127.0.0.1:trace-id:{net.ids['cell']}"


def test_the_oem_reads_the_same_numbers_on_the_cell_makers_pact_host(net: Net) -> None:
    secret = net.manage("jp", "POST", f"{PCF}/pact-clients", {"clientId": "oem"})["clientSecret"]
    offer = {"granularity": "stages", "productName": "21700 cell", "massPerDeclaredUnit": "0.07"}
    net.manage("jp", "POST", f"{PCF}/products/cell/pact", offer)
    with PactClient(net.nodes["jp"].base_url, "oem", secret) as client:
        (pf,) = list(client.list_footprints())
    assert pf.pcf.pcfExcludingBiogenicUptake == Decimal("10.5")
    on_pact = from_pact(pf)
    received = net.manage("oem", "GET", f"{PCF}/received/jp-cell")["disclosure"]
    assert on_pact.total == Decimal(received["total"])
    assert on_pact.stages == {Stage(k): Decimal(v) for k, v in received["stages"].items()}


def test_the_cell_maker_sees_the_same_totals_in_ouranos_and_the_data_space(net: Net) -> None:
    cell = net.jp.cfp(net.ids["cell"])
    shown = sum(Decimal(str(cell[t]["ghgEmission"])) for t in cell if t.endswith("Total"))
    footprint = net.manage("jp", "GET", f"{PCF}/products/cell/footprint")["footprint"]
    assert Decimal(footprint["total"]) == shown == Decimal("10.5")


# -- persistence ---------------------------------------------------------------------------------------------


def test_the_ouranos_data_and_the_tokens_survive_a_restart(net: Net) -> None:
    before = net.jp.cfp(net.ids["cell"])
    jp = net.nodes["jp"]
    jp.stop()
    jp.start(timeout=60)
    stale = httpx.get(
        f"{net.jp.base}/api/v1/authInfo?dataTarget=operator", headers=net.jp.headers, timeout=10
    )
    assert stale.status_code == 200  # tokens are signed with the node's key, not kept in memory
    net.jp.login()  # the account (a PBKDF2 hash on the node's database) is still there
    assert net.jp.cfp(net.ids["cell"]) == before
    parts = net.jp.call("GET", "/api/v1/datatransport?dataTarget=parts")
    assert {p["partsName"] for p in parts} == {"CELL-21700", "CATHODE-NMC811"}
    (status,) = net.jp.call("GET", "/api/v1/datatransport?dataTarget=status&statusTarget=REQUEST")
    assert status["requestStatus"]["cfpResponseStatus"] == "COMPLETED"


def test_bridge_calls_need_the_management_key(net: Net) -> None:
    response = httpx.post(
        net.nodes["jp"].base_url + f"{OURANOS}/bridge/export",
        json={"traceId": net.ids["cell"], "productKey": "cell", "referencePeriod": PERIOD},
        timeout=10,
    )
    assert response.status_code == 401
