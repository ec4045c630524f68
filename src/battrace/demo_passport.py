"""The battery passport part of `battrace demo`: the carmaker issues passports for a pack model and its
batteries, records a year of state of health, and shares the passports through the data space; a certified
recycler sees the dismantling data a public visitor does not (Regulation (EU) 2023/1542 Art. 77(2))."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from battrace.client import EDC_CONTEXT, first_offer
from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_item_values, ev_model_values

T = TypeVar("T")
Step = Callable[[str, Callable[[], T]], T]

MODEL_ID = "urn:battrace:model:eu-oem:ev-pack-77"
PASSPORT_ASSET = "battery-passports-ev-pack-77"
BATTERIES = 50
MEMBERS = [{"action": "access", "constraint": [
    {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
]}]  # fmt: skip
PASSPORT_USAGE = [{"action": "use", "constraint": [
    {"leftOperand": "UsagePurpose", "operator": "isAnyOf", "rightOperand": ["cx.circular.dpp:1"]},
]}]  # fmt: skip


def passport_stage(step: Step[Any], oem: NodeProcess, recycler: NodeProcess) -> dict[str, Any]:
    client = oem.client()

    def issue() -> list[str]:
        client.register_passport_model(MODEL_ID, "ev", ev_model_values())
        batteries = [
            {"modelId": MODEL_ID, "values": ev_item_values(f"EU{n:05d}"), "mandated": [recycler.did]}
            for n in range(BATTERIES)
        ]
        return client.issue_passports(batteries)

    ids = step(f"carmaker issues {BATTERIES} battery passports (validated, signed, logged)", issue)
    first = ids[0]

    def usage() -> int:
        start = datetime(2026, 1, 15, tzinfo=UTC)
        months = [
            {
                "key": "state_of_certified_energy",
                "value": round(100.0 - 0.21 * month - 0.01 * month * month, 2),
                "unit": "%",
                "measuredAt": (start + timedelta(days=30 * month)).isoformat(),
                "source": "bms:ev-pack-77:EU00000",
            }
            for month in range(12)
        ]
        return client.record_measurements(first, months)

    step("a year of state-of-health readings from the battery management system", usage)

    def publish() -> None:
        address = {"type": "BattracePassport", "modelId": MODEL_ID}
        body = {"@context": EDC_CONTEXT, "@id": PASSPORT_ASSET, "properties": {}, "dataAddress": address}
        client.call("POST", "/management/v3/assets", body)
        client.create_policy("passport-members", MEMBERS)
        client.create_policy("passport-usage", PASSPORT_USAGE)
        client.create_contract_definition(
            "passport-offer", "passport-members", "passport-usage", [PASSPORT_ASSET]
        )

    step("carmaker offers its passports in the data space", publish)
    public = step("a public visitor scans the QR code: public view only", lambda: _public_view(oem, first))
    shared = step(
        "the certified recycler reads the passport through the data space",
        lambda: _recycler_view(oem, recycler, first),
    )
    if "dismantling_information" in public["values"] or "dismantling_information" not in shared["values"]:
        raise RuntimeError("the passport was not split by access level as Art. 77(2) requires")
    return {
        "passport": first,
        "issued": len(ids),
        "viewer": f"{oem.base_url}/passport/{first}",
        "qr": f"{oem.base_url}/passport/{first}/qr.svg",
        "public_values": len(public["values"]),
        "recycler_values": len(shared["values"]),
        "soh_points": len(shared["series"].get("state_of_certified_energy", [])),
    }


def _public_view(oem: NodeProcess, passport_id: str) -> dict[str, Any]:
    response = httpx.get(f"{oem.base_url}/passports/{passport_id}", timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _recycler_view(oem: NodeProcess, recycler: NodeProcess, passport_id: str) -> dict[str, Any]:
    with recycler.client() as client:
        catalog = client.catalog(oem.dsp, oem.did)
        offer, contexts = first_offer(catalog, PASSPORT_ASSET)
        negotiation = client.wait_negotiation(
            client.negotiate(oem.dsp, oem.did, PASSPORT_ASSET, offer, contexts)
        )
        if negotiation["state"] != "FINALIZED":
            raise RuntimeError(f"passport negotiation ended {negotiation['state']}")
        transfer = client.wait_transfer(client.transfer(oem.dsp, negotiation["contractAgreementId"]))
        response = client.fetch(client.edr(transfer["@id"]), passport_id)
        response.raise_for_status()
        client.verify_delivery(response, oem.did)
        body: dict[str, Any] = response.json()
        return body
