"""The Catena-X PCF exchange between real node processes (PCF Exchange KIT; issue 6 item 5).

An OEM (consumer) asks a cell maker (provider) for a cell's PCF: `GET /productIds/{id}?requestId=` on the cell
maker's `cx-taxo:PcfExchange` asset → 202; the cell maker's operator answers, and its node negotiates for the
OEM's exchange asset and `PUT`s the io.catenax.pcf 9.0.0 payload, then, to a consumer granted the stage
split, the pcf_for_battery_component_supplier 1.0.0 aspect on the same resource keyed by its semantic id. A
stranger, an active member the OEM trades with too, holds an agreement for the OEM's exchange asset but was
never asked for anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]

from battrace.client import Edr, ManagementError, first_offer
from battrace.devnet import NodeProcess

from .conftest import free_port

SCHEMA = Path(__file__).parents[1] / "fixtures" / "pcf_catenax" / "Pcf-schema.json"
BATTERY_SCHEMA = SCHEMA.with_name("PcfForBatteryComponentSupplier-schema.json")
BATTERY_URN = "urn:samm:io.catenax.pcf_for_battery_component_supplier:1.0.0#PcfForBatteryComponentSupplier"
EXCHANGE = "/management/v3/pcf-exchange"
PCF = "/management/v3/pcf"
CELL_ID = "urn:battrace:example:cell:nmc811-60ah"
CELL_PATH = f"/productIds/{quote(CELL_ID, safe='')}"
RAW, PRODUCTION = "raw_material_acquisition_and_pre_processing", "main_product_production"
SITE = "BPNS000000CELL01"
HEADER = {
    "productName": "NMC811 pouch cell 60 Ah",
    "massPerDeclaredUnit": "0.85",
    "granularity": "stages",
    "battery": {"siteIdentifier": SITE, "customerPartId": "OEM-CELL-60"},
}


def bpn(name: str) -> str:
    return f"BPNL{name.upper():0>12}"


def _member(name: str) -> dict[str, Any]:
    return {
        "bpn": bpn(name),
        "membership": "active",
        "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
    }


def _cell_product(gas_kwh: str) -> dict[str, Any]:
    """0.5 kg other cell materials x 4 = 2.0 (raw material) + gas_kwh x 0.2 (production), per piece
    (example factors: material:other_cell_materials 4 kg CO2e/kg, fuel:natural_gas 0.2 kg CO2e/kWh)."""
    return {
        "productId": CELL_ID,
        "declaredUnit": "piece",
        "referencePeriod": ["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
        "ownDqr": {"TeR": "2", "GeR": "1.5", "TiR": "2"},
        "activities": [
            {
                "stage": "raw_material_acquisition_and_pre_processing",
                "factor": "material:other_cell_materials",
                "amount": "0.5",
                "unit": "kg",
            },
            {
                "stage": "main_product_production",
                "factor": "fuel:natural_gas",
                "amount": gas_kwh,
                "unit": "kWh",
            },
        ],
    }


@dataclass
class Net:
    oem: NodeProcess
    cell: NodeProcess
    stranger: NodeProcess

    def call(self, node: NodeProcess, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        with node.client() as client:
            return client.call(method, path, body, expect=(expect,))

    def refused(self, node: NodeProcess, method: str, path: str, body: Any = None) -> ManagementError:
        with node.client() as client, pytest.raises(ManagementError) as refusal:
            client.call(method, path, body)
        return refusal.value

    def ask(self, message: str | None = None) -> dict[str, Any]:
        body = {"providerDsp": self.cell.dsp, "providerDid": self.cell.did, "productId": CELL_ID}
        return dict(self.call(self.oem, "POST", f"{EXCHANGE}/requests", body | {"message": message}, 201))

    def edr_of(self, holder: NodeProcess, provider: NodeProcess) -> Sender:
        """``holder`` negotiates for ``provider``'s exchange asset and starts a transfer, as a node does."""
        with holder.client() as client:
            catalog = client.catalog(provider.dsp, provider.did)
            offer, contexts = first_offer(catalog, "pcf-exchange")
            started = client.negotiate(provider.dsp, provider.did, "pcf-exchange", offer, contexts)
            agreement = client.wait_negotiation(started)["contractAgreementId"]
            transfer = client.transfer(provider.dsp, agreement)
            client.wait_transfer(transfer)
            return Sender(holder, client.edr(transfer))


@dataclass(frozen=True)
class Sender:
    """A node holding an EDR for a peer's exchange asset: its requests carry DPoP proofs by its key."""

    holder: NodeProcess
    edr: Edr


def _put(sender: Sender, target: str, body: bytes) -> httpx.Response:
    url = sender.edr.endpoint.rstrip("/") + target
    with sender.holder.client() as client:  # RFC 9449: a fresh proof by the holder's key per request
        headers = client.data_headers(sender.edr, "PUT", url) | {"Content-Type": "application/json"}
    return httpx.put(url, content=body, headers=headers, timeout=15)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    root: Path = tmp_path_factory.mktemp("cx-exchange")
    nodes = {name: NodeProcess(name, free_port(), root) for name in ("oem", "cell", "stranger")}
    for name, node in nodes.items():
        node.peers = {other.did: _member(o) for o, other in nodes.items() if o != name}
    try:
        with ThreadPoolExecutor(len(nodes)) as pool:  # started side by side: each takes seconds to boot
            list(pool.map(lambda node: node.start(timeout=120), nodes.values()))
        network = Net(**nodes)
        for name, node in nodes.items():
            network.call(node, "PUT", f"{EXCHANGE}/asset", {"bpn": bpn(name)})
        network.call(network.cell, "PUT", f"{PCF}/products/cell", _cell_product("10"))
        network.call(network.cell, "POST", f"{PCF}/products/cell/compute")
        network.call(network.cell, "PUT", f"{EXCHANGE}/products/cell", HEADER)
        yield network
    finally:
        for node in nodes.values():
            node.stop()


def _answered(net: Net, request_id: str) -> dict[str, Any]:
    return dict(net.call(net.cell, "POST", f"{EXCHANGE}/incoming/{request_id}/answer"))


def test_a_request_is_accepted_and_the_provider_records_it(net: Net) -> None:
    sent = net.ask("PCF for the 2026 sourcing round")
    assert sent["state"] == "requested" and sent["answers"] == []
    incoming = {e["requestId"]: e for e in net.call(net.cell, "GET", f"{EXCHANGE}/incoming")}
    received = incoming[sent["requestId"]]
    assert received["consumerBpn"] == bpn("oem") and received["productId"] == CELL_ID
    assert received["message"] == "PCF for the 2026 sourcing round" and received["state"] == "requested"


def test_the_answer_arrives_with_the_numbers_of_the_providers_footprint(net: Net) -> None:
    sent = net.ask()
    answer = _answered(net, sent["requestId"])
    assert answer["event"] == "response" and answer["repeated"] is False
    got = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}")
    assert got["state"] == "answered" and got["answers"] == [answer["sha256"]]
    validator = Draft4Validator(json.loads(SCHEMA.read_text("utf-8")), format_checker=FormatChecker())
    assert [e.message for e in validator.iter_errors(got["pcf"])] == []
    # 0.5 x 4 = 2.0 raw material + 10 x 0.2 = 2.0 production = 4.0 kg CO2e per cell
    disclosure = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}/disclosure")["disclosure"]
    provider = net.call(net.cell, "GET", f"{PCF}/products/cell/footprint")["footprint"]
    assert Decimal(disclosure["total"]) == Decimal(provider["total"]) == Decimal("4.0")
    assert disclosure["product_id"] == CELL_ID and disclosure["declared_unit"] == "piece"
    production = got["pcf"]["productLifeCycleStagesAndEmissions"][0]["productionStage"][0]
    assert Decimal(str(production["pcfExcludingBiogenicUptake"])) == Decimal("4.0")


def test_answering_again_is_an_idempotent_redelivery(net: Net) -> None:
    sent = net.ask()
    first = _answered(net, sent["requestId"])
    again = _answered(net, sent["requestId"])
    assert again["repeated"] is True and again["sha256"] == first["sha256"]
    got = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}")
    assert got["answers"] == [first["sha256"]]


def test_a_changed_footprint_is_sent_as_an_update_to_those_who_asked(net: Net) -> None:
    sent = net.ask()
    first = _answered(net, sent["requestId"])
    # more gas: 2.0 + 15 x 0.2 = 5.0 kg CO2e per cell
    net.call(net.cell, "PUT", f"{PCF}/products/cell", _cell_product("15"))
    net.call(net.cell, "POST", f"{PCF}/products/cell/compute")
    try:
        update = net.call(net.cell, "POST", f"{EXCHANGE}/products/cell/updates")
        assert update["sent"] == [bpn("oem")]
        got = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}")
        assert got["answers"] == [first["sha256"], update["sha256"]]
        disclosure = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}/disclosure")
        assert Decimal(disclosure["disclosure"]["total"]) == Decimal("5.0")
        # the battery aspect followed the update: 2.0 raw material + 3.0 production
        shares = got["battery"]["pcfValues"]["sharesPerStage"]
        assert "batterySha256" in first and shares["absPcfValue"]["stageValue"] == 5
        assert Decimal(disclosure["disclosure"]["stages"][PRODUCTION]) == Decimal("3.0")
        again = net.call(net.cell, "POST", f"{EXCHANGE}/products/cell/updates")
        assert again["sent"] == [] and again["unchanged"] == [bpn("oem")]
    finally:
        net.call(net.cell, "PUT", f"{PCF}/products/cell", _cell_product("10"))
        net.call(net.cell, "POST", f"{PCF}/products/cell/compute")


def test_a_put_for_a_request_id_nobody_sent_is_not_found(net: Net) -> None:
    edr = net.edr_of(net.cell, net.oem)
    pcf = json.dumps(net.call(net.oem, "GET", f"{EXCHANGE}/requests/{_any_answered(net)}")["pcf"]).encode()
    response = _put(edr, "/productIds/x?requestId=00000000-0000-4000-8000-000000000000", pcf)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def _any_answered(net: Net) -> str:
    sent = net.ask()
    _answered(net, sent["requestId"])
    return str(sent["requestId"])


def test_a_put_from_a_party_that_was_not_asked_is_forbidden(net: Net) -> None:
    answered = _any_answered(net)
    sent = net.ask()  # to the cell maker, unanswered
    pcf = json.dumps(net.call(net.oem, "GET", f"{EXCHANGE}/requests/{answered}")["pcf"]).encode()
    edr = net.edr_of(net.stranger, net.oem)
    assert _put(edr, f"{CELL_PATH}?requestId={sent['requestId']}", pcf).status_code == 403
    assert _put(edr, CELL_PATH, pcf).status_code == 403  # an update nobody asked this party for: no push
    assert net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}")["answers"] == []


def test_a_malformed_payload_is_refused_and_nothing_is_kept(net: Net) -> None:
    sent = net.ask()
    edr = net.edr_of(net.cell, net.oem)
    target = f"{CELL_PATH}?requestId={sent['requestId']}"
    for body in (b"{not json", b'{"scopeOfPcfForm": []}', b"[]"):
        response = _put(edr, target, body)
        assert response.status_code == 400, response.text
    got = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}")
    assert got["state"] == "requested" and got["answers"] == [] and "pcf" not in got


def test_answering_an_unknown_request_or_asking_without_a_provider_is_refused(net: Net) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert net.refused(net.cell, "POST", f"{EXCHANGE}/incoming/{unknown}/answer").status == 404
    refusal = net.refused(net.oem, "POST", f"{EXCHANGE}/requests", {"providerDsp": net.cell.dsp})
    assert refusal.status == 400


def _pack_product() -> dict[str, Any]:
    """The OEM's pack: 5 kWh natural gas (production) of its own plus 2 cells received on the exchange."""
    return {
        "productId": "urn:battrace:example:pack:oem-2cell",
        "declaredUnit": "piece",
        "referencePeriod": ["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"],
        "activities": [
            {"stage": PRODUCTION, "factor": "fuel:natural_gas", "amount": "5", "unit": "kWh"},
        ],
        "inputs": [{"received": "cx-cell", "amount": "2", "unit": "piece", "stage": PRODUCTION}],
    }


def test_the_consumer_computes_its_product_from_a_catenax_answer_with_the_suppliers_stage_shares(
    net: Net,
) -> None:
    sent = net.ask()
    answer = _answered(net, sent["requestId"])
    kept = net.call(net.oem, "POST", f"{EXCHANGE}/requests/{sent['requestId']}/receive", {"id": "cx-cell"})
    assert kept["id"] == "cx-cell" and kept["sha256"] == answer["sha256"]
    received = net.call(net.oem, "GET", f"{PCF}/received/cx-cell")
    assert received["sha256"] == answer["sha256"]
    assert received["disclosure"]["granularity"] == "stages"
    net.call(net.oem, "PUT", f"{PCF}/products/pack", _pack_product())
    footprint = net.call(net.oem, "POST", f"{PCF}/products/pack/compute")["footprint"]
    # own 5 x 0.2 = 1.0 + 2 cells x 4.0 = 8.0 purchased: 9.0 kg CO2e per pack
    assert Decimal(footprint["total"]) == Decimal("9.0")
    assert Decimal(footprint["own"]) == Decimal("1.0") and Decimal(footprint["purchased"]) == Decimal("8.0")
    # the cells' split came with the answer (2.0 raw material + 2.0 production each), so the BOM line's
    # fallback stage is not used: 2 x 2.0 = 4.0 raw material, 2 x 2.0 + 1.0 own = 5.0 production
    assert Decimal(footprint["stages"][RAW]) == Decimal("4.0")
    assert Decimal(footprint["stages"][PRODUCTION]) == Decimal("5.0")
    assert answer["sha256"] in footprint["inputs"]


def test_a_request_with_no_answer_yet_cannot_be_kept_as_an_input(net: Net) -> None:
    sent = net.ask()
    target = f"{EXCHANGE}/requests/{sent['requestId']}/receive"
    refusal = net.refused(net.oem, "POST", target, {"id": "early"})
    assert refusal.status == 409
    assert net.refused(net.oem, "GET", f"{PCF}/received/early").status == 404


def test_each_consumer_gets_the_granularity_granted_to_it_and_the_others_the_total(net: Net) -> None:
    header = HEADER | {"granularity": "total", "consumers": {bpn("oem"): "data_quality"}}
    net.call(net.cell, "PUT", f"{EXCHANGE}/products/cell", header)
    try:
        granted = net.ask()
        answered = _answered(net, granted["requestId"])
        body = {"providerDsp": net.cell.dsp, "providerDid": net.cell.did, "productId": CELL_ID}
        other = net.call(net.stranger, "POST", f"{EXCHANGE}/requests", body, 201)
        _answered(net, other["requestId"])
        seen = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{granted['requestId']}/disclosure")
        total = net.call(net.stranger, "GET", f"{EXCHANGE}/requests/{other['requestId']}/disclosure")
        # the same 4.0 kg CO2e per cell; only the granted consumer sees the data-quality ratings
        assert Decimal(seen["disclosure"]["total"]) == Decimal(total["disclosure"]["total"]) == Decimal("4.0")
        assert seen["disclosure"]["granularity"] == "data_quality" and "pact_dqi" in seen["disclosure"]
        assert total["disclosure"]["granularity"] == "total" and "pact_dqi" not in total["disclosure"]
        # granted less than the stages: no battery aspect is sent to either, so no split arrives
        assert "batterySha256" not in answered and "stages" not in seen["disclosure"]
        got = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{granted['requestId']}")
        assert "battery" not in got
        refusal = net.refused(
            net.cell, "PUT", f"{EXCHANGE}/products/cell", HEADER | {"consumers": {"x": "total"}}
        )
        assert refusal.status == 400
    finally:
        net.call(net.cell, "PUT", f"{EXCHANGE}/products/cell", HEADER)


def _battery_target(request_id: str) -> str:
    return f"{CELL_PATH}?requestId={request_id}&semanticId={quote(BATTERY_URN, safe='')}"


def test_a_consumer_granted_stages_receives_the_battery_aspect_with_the_stage_split(net: Net) -> None:
    sent = net.ask()
    answer = _answered(net, sent["requestId"])
    got = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}")
    validator = Draft4Validator(json.loads(BATTERY_SCHEMA.read_text("utf-8")), format_checker=FormatChecker())
    assert [e.message for e in validator.iter_errors(got["battery"])] == []
    assert got["battery"]["legalidentifier"] == bpn("cell") and got["battery"]["siteIdentifier"] == SITE
    assert got["battery"]["customerPartId"] == "OEM-CELL-60"
    assert answer["batterySha256"] and answer["sha256"] == got["answers"][-1]
    shares = got["battery"]["pcfValues"]["sharesPerStage"]
    assert shares["declaredUnit"] == "CO2KG/piece" and shares["absPcfValue"]["stageValue"] == 4
    disclosure = net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}/disclosure")["disclosure"]
    # 0.5 kg x 4 = 2.0 raw material, 10 kWh x 0.2 = 2.0 production per cell, as the provider computed
    assert disclosure["granularity"] == "stages" and Decimal(disclosure["total"]) == Decimal("4.0")
    assert Decimal(disclosure["stages"][RAW]) == Decimal("2.0")
    assert Decimal(disclosure["stages"][PRODUCTION]) == Decimal("2.0")


def test_a_malformed_or_foreign_battery_aspect_is_refused_and_the_kept_one_stays(net: Net) -> None:
    sent = net.ask()
    _answered(net, sent["requestId"])
    target = f"{EXCHANGE}/requests/{sent['requestId']}"
    good = net.call(net.oem, "GET", target)["battery"]
    wrong_total = json.loads(json.dumps(good))
    wrong_total["pcfValues"]["sharesPerStage"]["absPcfValue"]["stageValue"] = 5
    wrong_total["pcfValues"]["sharesPerStage"]["stage2MainProductProduction"]["stageValue"] = 3
    foreign = good | {"legalidentifier": bpn("stranger")}
    no_site = {k: v for k, v in good.items() if k != "siteIdentifier"}
    edr = net.edr_of(net.cell, net.oem)
    for body in (b"{not json", b"[]", json.dumps(no_site).encode(), json.dumps(wrong_total).encode()):
        response = _put(edr, _battery_target(sent["requestId"]), body)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert _put(edr, _battery_target(sent["requestId"]), json.dumps(foreign).encode()).status_code == 400
    assert net.call(net.oem, "GET", target)["battery"] == good


def test_a_battery_aspect_before_its_pcf_or_from_a_party_not_asked_is_refused(net: Net) -> None:
    answered = _any_answered(net)
    aspect = json.dumps(net.call(net.oem, "GET", f"{EXCHANGE}/requests/{answered}")["battery"]).encode()
    sent = net.ask()  # to the cell maker, not answered yet
    edr = net.edr_of(net.cell, net.oem)
    assert _put(edr, _battery_target(sent["requestId"]), aspect).status_code == 409
    stranger = net.edr_of(net.stranger, net.oem)
    assert _put(stranger, _battery_target(answered), aspect).status_code == 403
    assert "battery" not in net.call(net.oem, "GET", f"{EXCHANGE}/requests/{sent['requestId']}")


def test_granting_stages_without_declaring_the_battery_site_is_refused(net: Net) -> None:
    header = {k: v for k, v in HEADER.items() if k != "battery"}
    assert net.refused(net.cell, "PUT", f"{EXCHANGE}/products/cell", header).status == 400
    granted = header | {"granularity": "total", "consumers": {bpn("oem"): "stages"}}
    assert net.refused(net.cell, "PUT", f"{EXCHANGE}/products/cell", granted).status == 400
    bad_site = HEADER | {"battery": {"siteIdentifier": bpn("cell")}}
    assert net.refused(net.cell, "PUT", f"{EXCHANGE}/products/cell", bad_site).status == 400
