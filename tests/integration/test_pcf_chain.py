"""The four-tier carbon-footprint roll-up across four real node processes (issue 6, node integration).

refiner → cathode maker → cell maker → pack maker, each its own `battrace serve` process with its own
database. Each offers its footprint only to its buyer's BPN, at the granularity of the shipped example
(src/battrace/apps/pcf/data/example_chain.json); each buyer pulls it through DSP, checks the signed delivery
and rolls up. The hand-checked figures are those of tests/apps/pcf/test_example.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from battrace.apps.pcf import Stage
from battrace.apps.pcf.example import Chain, example_chain, granted, product_body
from battrace.apps.pcf.pact import PactClient, PactClientError
from battrace.client import ManagementError, NodeClient, first_offer
from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_item_values, ev_model_values

from .conftest import free_port

TIERS = ("refiner", "cathode", "cell", "pack")
BUYER = {"refiner": "cathode", "cathode": "cell", "cell": "pack"}
RAW, PROD, DIST, EOL = Stage.RAW_MATERIAL, Stage.PRODUCTION, Stage.DISTRIBUTION, Stage.END_OF_LIFE
PCF = "/management/v3/pcf"


def bpn(name: str) -> str:
    return f"BPNL{name.upper():0>12}"


@dataclass
class ChainNet:
    chain: Chain
    nodes: dict[str, NodeProcess]
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)  # supplier -> what it published
    seen: dict[str, list[str]] = field(default_factory=dict)  # node -> every management response it got

    def call(
        self, name: str, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)
    ) -> Any:
        with self.nodes[name].client() as client:
            result = client.call(method, path, body, expect=expect)
        self.seen.setdefault(name, []).append(httpx.Response(200, json=result).text)
        return result


def _member(name: str) -> dict[str, Any]:
    return {
        "bpn": bpn(name),
        "membership": "active",
        "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
    }


def _peers(nodes: dict[str, NodeProcess]) -> None:
    """Claims as credentials would give them, and each node knows only its trading partners. The stranger is
    an active member under the Data Exchange Governance agreement that the refiner knows too, so only the BPN
    in the refiner's access policy tells it from the refiner's buyer."""
    partners = {**{s: [b] for s, b in BUYER.items()}, "stranger": ["refiner"]}
    for supplier, buyers in partners.items():
        for buyer in buyers:
            nodes[supplier].peers[nodes[buyer].did] = _member(buyer)
            nodes[buyer].peers[nodes[supplier].did] = _member(supplier)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainNet]:
    root: Path = tmp_path_factory.mktemp("pcf")
    nodes = {name: NodeProcess(name, free_port(), root) for name in (*TIERS, "stranger")}
    _peers(nodes)
    chain = example_chain()
    started: list[NodeProcess] = []
    try:
        for node in nodes.values():
            started.append(node.start())
        network = ChainNet(chain, nodes)
        _roll_up(network)
        yield network
    finally:
        for node in reversed(started):
            node.stop()


def _roll_up(net: ChainNet) -> None:
    """Tier by tier: put the product, pull the supplier's disclosure, compute, offer to the buyer."""
    for name in TIERS:
        net.call(name, "PUT", f"{PCF}/products/{name}", product_body(net.chain, name))
        for supplier, buyer in BUYER.items():
            if buyer == name:
                offered = net.offers[supplier]
                supplier_node = net.nodes[supplier]
                body = {
                    "id": supplier,
                    "providerDsp": supplier_node.dsp,
                    "providerDid": supplier_node.did,
                    "assetId": offered["assetId"],
                }
                net.call(name, "POST", f"{PCF}/received", body)
        net.call(name, "POST", f"{PCF}/products/{name}/compute")
        if name in BUYER:
            body = {"recipientBpn": bpn(BUYER[name]), "granularity": granted(net.chain, name).value}
            net.offers[name] = net.call(name, "POST", f"{PCF}/products/{name}/disclosures", body)


def _footprint(net: ChainNet, name: str) -> dict[str, Any]:
    result: dict[str, Any] = net.call(name, "GET", f"{PCF}/products/{name}/footprint")["footprint"]
    return result


def test_each_tier_totals_match_the_hand_roll_up(net: ChainNet) -> None:
    # refiner 8.2081; cathode 18.883 + 0.5 x 8.2081 = 22.98705; cell 5.0419 + 0.4 x 22.98705 = 14.23672
    # (tests/apps/pcf/test_example.py shows each step)
    totals = {name: Decimal(_footprint(net, name)["total"]) for name in TIERS[:3]}
    assert totals == {
        "refiner": Decimal("8.2081"),
        "cathode": Decimal("22.98705"),
        "cell": Decimal("14.23672"),
    }


def test_pack_footprint_across_four_nodes_equals_the_hand_checked_figure(net: ChainNet) -> None:
    # own 709.0475 + 100 cells x 14.23672 = 2132.7195 kg CO2e per pack (test_example.py)
    pack = _footprint(net, "pack")
    assert Decimal(pack["total"]) == Decimal("2132.7195")
    stages = {Stage(k): Decimal(v) for k, v in pack["stages"].items()}
    assert stages == {RAW: Decimal("1619.482"), PROD: Decimal("323.2375"), DIST: 40, EOL: 150}


def test_the_result_records_the_digest_of_the_signed_disclosure_it_used(net: ChainNet) -> None:
    pack = _footprint(net, "pack")
    received = net.call("pack", "GET", f"{PCF}/received/cell")
    assert received["sha256"] == net.offers["cell"]["sha256"]  # what the cell maker signed and sent
    assert pack["inputs"][1:] == [received["sha256"]]


def test_a_buyer_receives_only_the_granularity_its_supplier_granted(net: ChainNet) -> None:
    from_refiner = net.call("cathode", "GET", f"{PCF}/received/refiner")["disclosure"]
    assert from_refiner["granularity"] == "data_quality"
    assert "stages" not in from_refiner and "own" not in from_refiner and "inputs" not in from_refiner
    from_cell = net.call("pack", "GET", f"{PCF}/received/cell")["disclosure"]
    assert from_cell["granularity"] == "stages" and "purchased" not in from_cell


def _secrets_of(net: ChainNet, name: str) -> list[str]:
    """What identifies a tier or reveals its recipe: its DID, address, BPN, product id, activity labels."""
    node = next(n for n in net.chain.nodes if n.id == name)
    found = [net.nodes[name].did, f"127.0.0.1:{net.nodes[name].port}", bpn(name), node.product_id]
    return found + [a.label for a in node.activities if a.label]


def test_the_pack_maker_never_sees_an_upstream_tier_or_recipe(net: ChainNet) -> None:
    upstream = _secrets_of(net, "refiner") + _secrets_of(net, "cathode")
    cell_recipe = [a.label for n in net.chain.nodes if n.id == "cell" for a in n.activities]
    responses = "\n".join(net.seen["pack"])
    stored = _stored(net, "pack")
    for text in (*upstream, *cell_recipe, "spodumene"):
        assert text not in responses, text
        assert text.encode() not in stored, text  # database, transparency log and process log alike


def test_the_leak_scan_finds_what_a_direct_buyer_does_hold(net: ChainNet) -> None:
    # control for the scans above: the cathode maker received the refiner's disclosure, so it holds the
    # refiner's product id and DID; were the scan blind, the test above would pass for nothing
    stored = _stored(net, "cathode")
    assert _secrets_of(net, "refiner")[0].encode() in stored
    assert next(n.product_id for n in net.chain.nodes if n.id == "refiner").encode() in stored


def _stored(net: ChainNet, name: str) -> bytes:
    return b"".join(p.read_bytes() for p in net.nodes[name].data_dir.rglob("*") if p.is_file())


def _log(node: NodeProcess) -> list[dict[str, Any]]:
    size = int(httpx.get(node.base_url + "/log/checkpoint", timeout=10).text.splitlines()[1])
    url = node.base_url + f"/log/entries?start=0&end={size}"
    response = httpx.get(url, headers={"X-Api-Key": node.api_key}, timeout=10)
    return list(response.json()["entries"])


def test_the_transparency_log_records_the_roll_up_by_digests_only(net: ChainNet) -> None:
    pack = _footprint(net, "pack")
    computed = [e["payload"] for e in _log(net.nodes["pack"]) if e["kind"] == "pcf.computed"]
    assert computed[-1]["inputs"] == pack["inputs"]
    logged = str(computed)
    assert pack["total"] not in logged and "activities" not in logged
    (offered,) = [e["payload"] for e in _log(net.nodes["cell"]) if e["kind"] == "pcf.disclosed"]
    assert offered["sha256"] == net.offers["cell"]["sha256"]
    assert bpn("pack") not in str(offered)


def test_no_tier_holds_its_buyers_or_grand_suppliers_data(net: ChainNet) -> None:
    for name in TIERS:
        stored = _stored(net, name)
        others = [t for t in TIERS if t != name]
        for other in others:
            labels = [a.label for n in net.chain.nodes if n.id == other for a in n.activities if a.label]
            for label in labels:
                assert label.encode() not in stored, (name, label)


def test_a_member_that_is_not_the_recipient_sees_no_offer_and_is_refused(net: ChainNet) -> None:
    refiner, offered = net.nodes["refiner"], net.offers["refiner"]
    body = {
        "id": "stolen",
        "providerDsp": refiner.dsp,
        "providerDid": refiner.did,
        "assetId": offered["assetId"],
    }
    with net.nodes["stranger"].client() as stranger:
        with pytest.raises(ManagementError) as refused:
            stranger.call("POST", f"{PCF}/received", body, expect=(201,))
        assert refused.value.status == 403 and refused.value.body["reason"] == "not_offered"
        # even with the offer as the real buyer saw it, the provider terminates the negotiation
        with net.nodes["cathode"].client() as buyer:
            offer, contexts = first_offer(buyer.catalog(refiner.dsp, refiner.did), offered["assetId"])
        negotiation_id = stranger.negotiate(refiner.dsp, refiner.did, offered["assetId"], offer, contexts)
        assert stranger.wait_negotiation(negotiation_id)["state"] == "TERMINATED"


def test_the_pack_passport_shows_kg_co2e_per_kwh_and_stage_shares(net: ChainNet) -> None:
    battery = net.chain.battery
    assert battery is not None
    lifetime = {
        "usableEnergyKwh": str(battery.usable_energy_kwh),
        "serviceYears": str(battery.service_years),
        "vehicleCategory": battery.vehicle_category,
    }
    computed = net.call("pack", "POST", f"{PCF}/products/pack/passport-values", lifetime)["values"]
    others = {k: v for k, v in ev_model_values().items() if k not in computed}
    body = {
        "modelId": "urn:battrace:model:pcf-pack",
        "category": "ev",
        "values": others,
        "lifetime": lifetime,
    }
    assert net.call("pack", "POST", f"{PCF}/products/pack/passport-model", body)["modelId"] == body["modelId"]
    with net.nodes["pack"].client() as oem:
        (passport_id,) = oem.issue_passports(
            [{"modelId": body["modelId"], "values": ev_item_values("PCF-1")}]
        )
    public = httpx.get(f"{net.nodes['pack'].base_url}/passports/{passport_id}", timeout=10).json()["values"]
    # 2132.7195 kg / (60 kWh x 60 cycles x 8 years = 28 800 kWh) = 0.0741 kg CO2e/kWh (test_example.py)
    assert public["carbon_footprint_per_functional_unit"] == pytest.approx(0.0741)
    assert public["carbon_footprint_raw_material_share"] == pytest.approx(75.94)
    assert public["carbon_footprint_production_share"] == pytest.approx(15.16)
    assert public["carbon_footprint_distribution_share"] == pytest.approx(1.88)
    assert public["carbon_footprint_end_of_life_share"] == pytest.approx(7.03)


def test_passport_model_refuses_carbon_values_that_contradict_the_computation(net: ChainNet) -> None:
    body = {
        "modelId": "urn:battrace:model:pcf-pack-forged",
        "category": "ev",
        "values": ev_model_values(),  # carries its own 61.4 kg CO2e/kWh
        "lifetime": {"lifetimeEnergyKwh": "28800"},
    }
    with net.nodes["pack"].client() as oem, pytest.raises(ManagementError) as refused:
        oem.call("POST", f"{PCF}/products/pack/passport-model", body, expect=(201,))
    assert refused.value.status == 400


def _cell_on_pact(net: ChainNet) -> tuple[str, str]:
    secret = net.call("cell", "POST", f"{PCF}/pact-clients", {"clientId": "pack-maker"})["clientSecret"]
    offer = {"granularity": "stages", "productName": "NMC811 pouch cell", "massPerDeclaredUnit": "0.9"}
    pf = net.call("cell", "POST", f"{PCF}/products/cell/pact", offer)
    return secret, str(pf["id"])


def test_the_cell_makers_pact_host_serves_its_footprint_to_its_client(net: ChainNet) -> None:
    secret, pf_id = _cell_on_pact(net)
    cell = net.nodes["cell"]
    with PactClient(cell.base_url, "pack-maker", secret) as client:
        (listed,) = list(client.list_footprints())
        fetched = client.get_footprint(pf_id)
    assert listed == fetched and str(listed.id) == pf_id
    assert listed.productIds[0] == "urn:battrace:example:product:pouch-cell"
    assert listed.pcf.pcfExcludingBiogenicUptake == Decimal("14.23672")


def test_the_pact_host_refuses_a_wrong_secret_and_a_wrong_token(net: ChainNet) -> None:
    _cell_on_pact(net)
    cell = net.nodes["cell"]
    with (
        PactClient(cell.base_url, "pack-maker", "not-the-secret") as client,
        pytest.raises(PactClientError) as refused,
    ):
        client.fetch_token()
    assert refused.value.http_status == 401
    response = httpx.get(
        f"{cell.base_url}/3/footprints", headers={"Authorization": "Bearer forged"}, timeout=10
    )
    assert response.status_code == 401 and response.json()["code"] == "BadRequest"


def test_management_routes_need_the_api_key(net: ChainNet) -> None:
    with (
        NodeClient(net.nodes["cell"].base_url, "wrong-key") as client,
        pytest.raises(ManagementError) as refused,
    ):
        client.call("GET", f"{PCF}/products/cell")
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("PUT", "/products/p1", {"productId": "urn:x:p1", "declaredUnit": "piece"}, 400, "referencePeriod"),
        ("PUT", "/products/bad key", {}, 400, "product key"),
        ("GET", "/products/none", None, 404, "no product"),
        ("POST", "/products/none/compute", None, 404, "no product"),
        ("POST", "/products/none/disclosures", {"recipientBpn": "BPNL0000000000XX"}, 404, "compute it first"),
        ("POST", "/received", {"id": "x"}, 400, "providerDsp"),
    ],
)
def test_bad_input_is_a_problem_document_that_says_what_is_wrong(
    net: ChainNet, method: str, path: str, body: Any, status: int, words: str
) -> None:
    with net.nodes["stranger"].client() as client, pytest.raises(ManagementError) as refused:
        client.call(method, PCF + path, body, expect=(200, 201))
    assert refused.value.status == status
    assert words in refused.value.body["detail"]


def test_a_bom_line_in_another_unit_than_the_supplier_declares_is_refused(net: ChainNet) -> None:
    product = product_body(net.chain, "pack")
    product["inputs"][0]["unit"] = "kilogram"  # the cell maker declares per piece
    net.call("pack", "PUT", f"{PCF}/products/pack-in-kg", product)
    with net.nodes["pack"].client() as client, pytest.raises(ManagementError) as refused:
        client.call("POST", f"{PCF}/products/pack-in-kg/compute")
    assert refused.value.status == 400 and "declares per 'piece'" in refused.value.body["detail"]
