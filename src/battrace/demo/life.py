"""A battery's life after the factory: passports issued by the carmaker (with the carbon footprint and the
due-diligence summary computed up the chain), offered in the data space, read at each access level; a year of
usage written by the fleet operator as a mandated party (state of health from its BMS export); repurposing by
the reuse operator, who issues a linked second-life passport on its own node; and the end of life, where the
recycler records the treatment and closes the passport (Regulation (EU) 2023/1542 Art. 77).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from battrace.client import EDC_CONTEXT, first_offer
from battrace.demo.network import Network
from battrace.passport.attributes import BatteryCategory, Requirement, attribute
from battrace.passport.samples import ev_item_values, ev_model_values

T = TypeVar("T")
Step = Callable[[str, Callable[[], T]], T]

MODEL_ID = "urn:battrace:model:eu-oem:ev-pack-77"
SECOND_LIFE_MODEL = "urn:battrace:model:second-life:bess-77"
NEW_CELL_MODEL = "urn:battrace:model:jp-cell-maker:nmc-cell-2"
PASSPORT_ASSET = "battery-passports-ev-pack-77"
MEMBERS = [{"action": "access", "constraint": [
    {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
]}]  # fmt: skip
PASSPORT_USAGE = [{"action": "use", "constraint": [
    {"leftOperand": "UsagePurpose", "operator": "isAnyOf", "rightOperand": ["cx.circular.dpp:1"]},
]}]  # fmt: skip


def issue_passports(
    step: Step[Any], net: Network, *, count: int, carbon: dict[str, Any], due_diligence: dict[str, Any]
) -> list[str]:
    """The pack model carries what the supply chain computed; every pack mandates the fleet operator, the
    reuse operator and the recycler to write its dynamic data and status (Art. 77(4))."""
    from battrace.apps.soh import fleet  # numpy: only when the demo runs

    oem = net["oem"]
    computed = carbon["values"]
    values = {k: v for k, v in ev_model_values().items() if k not in computed and k not in due_diligence}
    values |= fleet.passport_model_values(fleet.EV) | due_diligence
    body = {"modelId": MODEL_ID, "category": "ev", "values": values, "lifetime": carbon["lifetime"]}

    def register() -> None:
        with oem.client() as client:
            client.call("POST", "/management/v3/pcf/products/pack/passport-model", body, expect=(201,))

    step("carmaker registers the pack model: carbon footprint and due diligence from the chain", register)
    mandated = [net[k].did for k in ("fleet", "reuse", "recycler")]

    def issue() -> list[str]:
        batteries = [
            {"modelId": MODEL_ID, "values": ev_item_values(f"EU{n:05d}"), "mandated": mandated}
            for n in range(count)
        ]
        with oem.client() as client:
            return client.issue_passports(batteries)

    ids: list[str] = step(f"carmaker issues {count} battery passports (validated, signed, logged)", issue)

    def publish() -> None:
        address = {"type": "BattracePassport", "modelId": MODEL_ID}
        asset = {"@context": EDC_CONTEXT, "@id": PASSPORT_ASSET, "properties": {}, "dataAddress": address}
        with oem.client() as client:
            client.call("POST", "/management/v3/assets", asset)
            client.create_policy("passport-members", MEMBERS)
            client.create_policy("passport-usage", PASSPORT_USAGE)
            client.create_contract_definition(
                "passport-offer", "passport-members", "passport-usage", [PASSPORT_ASSET]
            )

    step("carmaker offers its passports in the data space", publish)
    return ids


def read_levels(step: Step[Any], net: Network, passport_id: str) -> dict[str, Any]:
    """The QR code, the public view, and the recycler's view through the data space (Art. 77(2))."""
    oem = net["oem"]

    def qr() -> str:
        response = httpx.get(f"{oem.base_url}/passport/{passport_id}/qr.svg", timeout=10)
        response.raise_for_status()
        return response.headers["content-type"]

    step("the pack's QR code resolves to its passport", qr)
    public = step("a public visitor scans the QR code: public view only", lambda: _public(net, passport_id))
    shared = step(
        "the certified recycler reads the passport through the data space (contract, transfer, signature)",
        lambda: _through_dataspace(net, passport_id),
    )
    if "dismantling_information" in public["values"] or "dismantling_information" not in shared["values"]:
        raise RuntimeError("the passport was not split by access level as Art. 77(2) requires")
    return {"public": public, "recycler": shared}


def usage_year(step: Step[Any], net: Network, passport_ids: list[str], *, seed: int) -> dict[str, Any]:
    """The fleet operator's BMS export for its EV packs: a year of monthly readings, assessed and written to
    the packs' passports on the carmaker's node as a mandated party."""
    from battrace.apps.soh import fleet

    readings = _ev_packs(min(3, len(passport_ids)), months=13, seed=seed)
    passports = dict(zip(readings.battery_ids, passport_ids, strict=False))
    body = {
        "format": "csv",
        "export": fleet.as_csv(readings),
        "passportNode": net["oem"].did,
        "passports": passports,
    }

    def upload() -> dict[str, Any]:
        with net["fleet"].client() as client:
            result: dict[str, Any] = client.call(
                "POST", "/management/v3/soh/assessments", body, expect=(201,)
            )
        return result

    return dict(step("a year of usage: the fleet operator writes state of health from its BMS", upload))


def _ev_packs(count: int, *, months: int, seed: int) -> Any:
    """``count`` EV packs of a seeded synthetic fleet (the generator also makes stationary batteries)."""
    import numpy as np

    from battrace.apps.soh import fleet
    from battrace.apps.soh.series import Readings

    readings, _ = fleet.generate(count * 4, months=months, seed=seed, fault_share=0.0)
    chosen = [i for i, plate in enumerate(readings.nameplates) if plate == fleet.EV][:count]
    index = np.array(chosen)
    return Readings(
        tuple(readings.battery_ids[i] for i in chosen),
        tuple(readings.nameplates[i] for i in chosen),
        readings.days[index],
        {name: column[index] for name, column in readings.columns.items()},
    )


def repurpose(step: Step[Any], net: Network, original: str) -> str:
    """The reuse operator turns the pack into stationary storage: a new passport on its own node, linked
    to the original, and the original marked repurposed by the reuse operator as a mandated party
    (Art. 77(7))."""
    reuse, oem = net["reuse"], net["oem"]
    model = {
        k: v
        for k, v in ev_model_values().items()
        if attribute(k).requirement(BatteryCategory.STATIONARY_STORAGE) is not Requirement.NOT_APPLICABLE
    }
    model |= {"battery_category": "stationary_storage", "initial_self_discharge_rate": 2}

    def second_life() -> str:
        with reuse.client() as client:
            client.register_passport_model(SECOND_LIFE_MODEL, "stationary_storage", model)
            (successor,) = client.issue_passports(
                [
                    {
                        "modelId": SECOND_LIFE_MODEL,
                        # Annex XIII 4(b): a stationary battery states when it was put into service
                        "values": ev_item_values("SL00001")
                        | {"putting_into_service_date": datetime.now(UTC).date().isoformat()},
                        "predecessor": original,
                        "originEvent": "repurpose",
                        "mandated": [net["recycler"].did],
                    }
                ]
            )
            token = client.token_for(oem.did)
        _participant(oem.base_url, original, token, {"event": "repurpose", "successorId": successor})
        return successor

    return str(step("reuse operator repurposes the pack: a linked second-life passport", second_life))


def end_of_life(step: Step[Any], net: Network, passport_id: str) -> dict[str, Any]:
    """The shipped recycling example between the nodes that perform it: the carmaker's placings on the market
    reach the recycler through the data space; the recycler collects, treats and refines (closing the
    second-life battery's passport on the reuse operator's node as a mandated party), reports back to the
    carmaker, who computes its collection rate; the recycler's Annex XII rates over its lots."""
    from battrace.apps.recycling import example

    oem, recycler, reuse = net["oem"], net["recycler"], net["reuse"]
    parties = {
        example.CARMAKER: oem.did,
        example.TOOLMAKER: oem.did,
        example.COLLECTOR: recycler.did,
        example.RECYCLER: recycler.did,
        example.REFINER: recycler.did,
        example.CATHODE_MAKER: net["cell"].did,
    }
    rows = example.with_parties(example.example_rows(), parties)

    def share(provider: str, recipient: str, performed: list[dict[str, object]]) -> None:
        to = net[recipient]
        _call(net, provider, "POST", "/management/v3/recycling/events", {"rows": performed})
        body = {"recipient": to.did, "bpn": net.companies[recipient].bpn}
        offer = _call(net, provider, "POST", "/management/v3/recycling/publications", body)
        pull = {"provider": net[provider].did, "assetId": offer["assetId"]}
        _call(net, recipient, "POST", "/management/v3/recycling/imports", pull)

    step(
        "carmaker shares its placings on the market with the recycler (data space)",
        lambda: share("oem", "recycler", [r for r in rows if r["performed_by"] == oem.did]),
    )

    def treat() -> None:
        mine = [r for r in rows if r["performed_by"] == recycler.did]
        body = {"rows": mine, "passportNode": reuse.did, "passports": {example.EV_LOT: passport_id}}
        _call(net, "recycler", "POST", "/management/v3/recycling/events", body)
        report = {"recipient": oem.did, "bpn": net.companies["oem"].bpn}
        offer = _call(net, "recycler", "POST", "/management/v3/recycling/publications", report)
        pull = {"provider": recycler.did, "assetId": offer["assetId"]}
        _call(net, "oem", "POST", "/management/v3/recycling/imports", pull)

    step("recycler collects, shreds and refines; closes the passport; reports back to the carmaker", treat)
    rates = step(
        "recycler's recovery rates against Annex XII; carmaker's collection rate (Annex XI)",
        lambda: {
            "facility": _call(net, "recycler", "GET", "/management/v3/recycling/rates?year=2029"),
            "collection": _call(
                net, "oem", "GET", "/management/v3/recycling/collection-rate?year=2027&category=portable"
            ),
        },
    )
    return dict(rates)


def closed_loop(step: Step[Any], net: Network) -> dict[str, Any]:
    """Recovered cobalt and nickel go back into a new cell: the recycler offers each sale's signed statement
    to the buyer alone; the cell maker (Japan) checks the mass balances and claims the material as recycled
    content of its next model, whose passport then states the Art. 8 shares."""
    from battrace.apps.recycling import example

    cell, recycler = net["cell"], net["recycler"]
    buyer_bpn = {"buyerBpn": net.companies["cell"].bpn}

    def statements() -> None:
        for sale in (example.COBALT_SALE, example.NICKEL_SALE):
            path = f"/management/v3/recycling/sales/{sale}/statement"
            offer = _call(net, "recycler", "POST", path, buyer_bpn)
            body = {"seller": recycler.did, "assetId": offer["assetId"]}
            _call(net, "cell", "POST", "/management/v3/recycling/statements", body)

    step("recycler offers its signed sale statements to the cell maker (EU → JP)", statements)

    def claim() -> dict[str, Any]:
        body = example.claim_body(NEW_CELL_MODEL, example.EXAMPLE_CLAIMS, ev_model_values())
        claimed: dict[str, Any] = _call(net, "cell", "POST", "/management/v3/recycling/claims", body)
        with cell.client() as client:
            (passport_id,) = client.issue_passports(
                [{"modelId": NEW_CELL_MODEL, "values": ev_item_values("NMC00001")}]
            )
        public = httpx.get(f"{cell.base_url}/passports/{passport_id}", timeout=10).json()["values"]
        return {"claimed": claimed, "passport": passport_id, "values": public}

    return dict(step("cell maker claims recycled content: the new cell's passport states it", claim))


def _call(net: Network, key: str, method: str, path: str, body: Any = None) -> Any:
    with net[key].client() as client:
        return client.call(method, path, body, expect=(200, 201))


def _participant(base_url: str, passport_id: str, token: str, body: dict[str, Any]) -> None:
    response = httpx.post(
        f"{base_url}/passports/{passport_id}/status",
        json={"at": datetime.now(UTC).isoformat(), **body},
        headers={"Authorization": token},
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(f"status {body['event']} refused: {response.status_code} {response.text[:300]}")


def _public(net: Network, passport_id: str) -> dict[str, Any]:
    response = httpx.get(f"{net['oem'].base_url}/passports/{passport_id}", timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _through_dataspace(net: Network, passport_id: str) -> dict[str, Any]:
    oem, recycler = net["oem"], net["recycler"]
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
