"""Up the supply chain: due-diligence declarations and the carbon-footprint roll-up, tier by tier, each
through the data space (an offer to one designated buyer, a contract, a signed delivery).

Due diligence: the shipped example (battrace.apps.duediligence.example) — the refiner plays CobaltTrader,
the cathode maker CathodeCo, the cell maker CellCo (which also asks a graphite supplier that never answers),
and the carmaker rolls the chain up for its passports. Carbon footprint: the shipped four-tier example
(battrace.apps.pcf.example), the carmaker being the pack maker; each tier sees only its direct supplier's
disclosure at the granularity granted to it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from battrace.apps.duediligence import example as dd
from battrace.apps.duediligence.model import ANNEX_X_MINERALS
from battrace.apps.pcf.example import example_chain, granted, product_body
from battrace.demo.network import Network

T = TypeVar("T")
Step = Callable[[str, Callable[[], T]], T]
DD = "/management/v3/duediligence"
PCF = "/management/v3/pcf"
# the chain's node ids -> the demo's companies (the pack maker is the carmaker)
PCF_TIERS = {"refiner": "refiner", "cathode": "cathode", "cell": "cell", "pack": "oem"}
PCF_BUYER = {"refiner": "cathode", "cathode": "cell", "cell": "pack"}
SILENT_SUPPLIER = "did:web:graphite-trader.example"  # asked by the cell maker, never answers


def due_diligence(step: Step[Any], net: Network) -> dict[str, Any]:
    declarations = {d.company.name: d for d in (n.declaration for n in dd.chain().values()) if d is not None}

    def put(key: str, declaration: dict[str, Any]) -> None:
        _call(net, key, "PUT", f"{DD}/declarations/own", declaration)

    def publish(supplier: str, buyer: str, rolled_up: bool) -> str:
        # the buyer's BPN as its membership credential states it (the supplier has not met it yet)
        bpn = net.companies[buyer].bpn
        body = {"recipient": net[buyer].did, "bpn": bpn, "view": "full", "rolledUp": rolled_up}
        return str(_call(net, supplier, "POST", f"{DD}/declarations/own/publications", body)["assetId"])

    def receive(buyer: str, supplier: str, asset_id: str) -> None:
        body = {"supplier": net[supplier].did, "assetId": asset_id}
        _call(net, buyer, "POST", f"{DD}/suppliers", body)

    def tiers() -> None:
        put("refiner", declarations["CobaltTrader"].model_dump(mode="json"))
        put("cathode", declarations["CathodeCo"].model_dump(mode="json"))
        receive("cathode", "refiner", publish("refiner", "cathode", False))
        put("cell", dd.cellco().model_dump(mode="json"))
        receive("cell", "cathode", publish("cathode", "cell", True))
        _call(net, "cell", "POST", f"{DD}/suppliers", {"supplier": SILENT_SUPPLIER})
        put("oem", _oem_declaration())
        receive("oem", "cell", publish("cell", "oem", True))

    step("due diligence: refiner → cathode maker → cell maker → carmaker, each to its buyer only", tiers)
    rollup: dict[str, Any] = step(
        "carmaker rolls up smelters, CAHRA exposure and OECD steps across the tiers",
        lambda: _call(
            net, "oem", "POST", f"{DD}/declarations/own/rollup", {"conformantCsv": dd.CONFORMANT_CSV}
        ),
    )
    return rollup


def _oem_declaration() -> dict[str, Any]:
    programme = {
        "grievance_mechanism": "Yes",
        "risk_management_plan": "Yes",
        "third_party_verification": "Notified body 0042, 2026",
        "report_url": "https://oem.example/due-diligence-report-2026.pdf",
    }
    minerals = [dd.answers(m) for m in ANNEX_X_MINERALS]
    return dict(dd.declaration("Vehicle OEM AG", minerals, [], programme=programme).model_dump(mode="json"))


def carbon_footprint(step: Step[Any], net: Network) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    chain = example_chain()
    offers: dict[str, dict[str, Any]] = {}
    footprints: dict[str, dict[str, Any]] = {}

    def tier(node_id: str) -> None:
        company = PCF_TIERS[node_id]
        _call(net, company, "PUT", f"{PCF}/products/{node_id}", product_body(chain, node_id))
        for supplier, buyer in PCF_BUYER.items():
            if buyer == node_id:
                supplier_node = net[PCF_TIERS[supplier]]
                body = {
                    "id": supplier,
                    "providerDsp": supplier_node.dsp,
                    "providerDid": supplier_node.did,
                    "assetId": offers[supplier]["assetId"],
                }
                _call(net, company, "POST", f"{PCF}/received", body)
        _call(net, company, "POST", f"{PCF}/products/{node_id}/compute")
        footprints[company] = _call(net, company, "GET", f"{PCF}/products/{node_id}/footprint")["footprint"]
        if node_id in PCF_BUYER:
            buyer_bpn = net.companies[PCF_TIERS[PCF_BUYER[node_id]]].bpn
            body = {"recipientBpn": buyer_bpn, "granularity": granted(chain, node_id).value}
            offers[node_id] = _call(net, company, "POST", f"{PCF}/products/{node_id}/disclosures", body)

    for node_id, what in (
        ("refiner", "refiner computes lithium hydroxide's footprint and offers it to the cathode maker"),
        ("cathode", "cathode maker pulls it under contract, rolls up, offers its total to the cell maker"),
        ("cell", "cell maker rolls up and offers the cell footprint to the carmaker (JP → EU)"),
        ("pack", "carmaker rolls up the pack: own emissions + Σ amount × supplier total"),
    ):
        step(what, partial(tier, node_id))
    battery = chain.battery
    assert battery is not None  # the shipped chain names its battery
    lifetime = {
        "usableEnergyKwh": str(battery.usable_energy_kwh),
        "serviceYears": str(battery.service_years),
        "vehicleCategory": battery.vehicle_category,
    }
    computed: dict[str, Any] = step(
        "carmaker computes kg CO2e per kWh of lifetime energy and the stage shares (Art. 7)",
        lambda: _call(net, "oem", "POST", f"{PCF}/products/pack/passport-values", lifetime)["values"],
    )
    return footprints, {"values": computed, "lifetime": lifetime}


def _call(net: Network, key: str, method: str, path: str, body: Any = None) -> Any:
    with net[key].client() as client:
        return client.call(method, path, body, expect=(200, 201))
