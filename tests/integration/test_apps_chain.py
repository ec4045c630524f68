"""The data-space apps between real node processes (issue 7): due diligence down a refiner -> cell maker ->
OEM chain on the shipped example, state of health written by a mandated fleet operator into the OEM's
passports, and a recycler's rates. Every expected number is worked out by hand beside its assertion.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest

from apps.duediligence.example import (
    CONFORMANT_CSV,
    answers,
    cellco,
    declaration,
)
from battrace.apps.duediligence.model import ANNEX_X_MINERALS
from battrace.apps.duediligence.workbook import export_workbook
from battrace.apps.recycling.example import RECYCLER, example_rows
from battrace.apps.soh import fleet, model
from battrace.apps.soh.ingest import parse_json
from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_item_values, ev_model_values

from .conftest import free_port

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BPN = {
    "refiner": "BPNL00000000REF1",
    "cellmaker": "BPNL00000000CEL1",
    "oem": "BPNL00000000OEM1",
    "recycler": "BPNL00000000RCY1",
}
SILENT_SUPPLIER = "did:web:anode-supplier.example"
REPORT = b"CarCo due diligence report 2026"
VERIFICATION = b"Notified body 0042: verification of CarCo's due diligence policies 2026"


@dataclass
class Space:
    refiner: NodeProcess
    cellmaker: NodeProcess
    oem: NodeProcess
    fleet: NodeProcess
    recycler: NodeProcess


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Space]:
    root = tmp_path_factory.mktemp("apps")
    names = ("refiner", "cellmaker", "oem", "fleet", "recycler")
    s = Space(*(NodeProcess(name, free_port(), root) for name in names))
    # What verified credentials would say about each partner (BPNs; the recycler's role on the OEM's node).
    s.refiner.peers = {
        s.cellmaker.did: {"bpn": BPN["cellmaker"]},
        s.oem.did: {"bpn": BPN["oem"]},
        s.recycler.did: {"bpn": BPN["recycler"]},
    }
    s.cellmaker.peers = {s.refiner.did: {"bpn": BPN["refiner"]}, s.oem.did: {"bpn": BPN["oem"]}}
    s.oem.peers = {s.cellmaker.did: {"bpn": BPN["cellmaker"]}, s.recycler.did: {"roles": ["Recycler"]}}
    nodes = (s.refiner, s.cellmaker, s.oem, s.fleet, s.recycler)
    try:
        for node in nodes:
            # A readiness limit, not a timing assertion: five nodes on a busy CI machine can take over 30 s.
            node.start(timeout=120)
        yield s
    finally:
        for node in reversed(nodes):
            node.stop()


def _call(node: NodeProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"X-Api-Key": node.api_key, **kwargs.pop("headers", {})}
    return httpx.request(method, node.base_url + path, headers=headers, timeout=60, **kwargs)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


# -- the shipped example as three companies --------------------------------------------------------------


def refiner_declaration() -> Any:
    """CobaltTrader of the example: cobalt only, question 4 "Yes", smelters S1 (CD), S2 (CN), Mutoshi mine."""
    return declaration(
        "CobaltTrader",
        [answers("cobalt", cahra="Yes")],
        ["S1", "S2"],
        mines=[{"mineral": "cobalt", "name": "Mutoshi", "country": "CD", "smelter_id": "CID900001"}],
    )


def oem_declaration() -> dict[str, Any]:
    """The OEM's own: the four Annex X minerals, no smelter of its own, a public report and verification."""
    evidence = [
        {"sha256": hashlib.sha256(REPORT).hexdigest(), "kind": "due_diligence_report",
         "title": "CarCo due diligence report 2026", "access": "public",
         "uri": "https://carco.example/dd-report-2026.pdf"},
        {"sha256": hashlib.sha256(VERIFICATION).hexdigest(), "kind": "third_party_verification",
         "title": "NB 0042 verification", "access": "public"},
        {"sha256": "a" * 64, "kind": "risk_management_plan", "title": "Internal plan", "access": "private"},
    ]  # fmt: skip
    minerals = [answers(m) for m in ANNEX_X_MINERALS]
    programme = {
        "grievance_mechanism": "Yes",
        "risk_management_plan": "Yes",
        "third_party_verification": "NB 0042 2026-04",
        "report_url": "https://carco.example/dd-report-2026.pdf",
    }
    built = declaration("CarCo", minerals, [], programme=programme, evidence=evidence)
    return dict(built.model_dump(mode="json"))


@pytest.fixture(scope="module")
def chain(space: Space) -> dict[str, Any]:
    """Refiner -> cell maker -> OEM through the data space; the OEM's roll-up as its node returns it."""
    s = space
    xlsx = export_workbook(refiner_declaration())
    _ok(_call(s.refiner, "PUT", "/management/v3/duediligence/declarations/own", content=xlsx,
              headers={"Content-Type": XLSX}))  # fmt: skip
    refiner_asset = _ok(
        _call(s.refiner, "POST", "/management/v3/duediligence/declarations/own/publications",
              json={"recipient": s.cellmaker.did, "view": "full"}),
        201,
    )["assetId"]  # fmt: skip
    _ok(_call(s.cellmaker, "PUT", "/management/v3/duediligence/declarations/own",
              json=cellco().model_dump(mode="json")))  # fmt: skip
    got = _call(s.cellmaker, "POST", "/management/v3/duediligence/suppliers",
                json={"supplier": s.refiner.did, "assetId": refiner_asset})  # fmt: skip
    assert _ok(got, 201)["received"]["company"]["name"] == "CobaltTrader"
    asked = {"supplier": SILENT_SUPPLIER}  # asked, never answers
    _ok(_call(s.cellmaker, "POST", "/management/v3/duediligence/suppliers", json=asked), 201)
    cell_asset = _ok(
        _call(s.cellmaker, "POST", "/management/v3/duediligence/declarations/own/publications",
              json={"recipient": s.oem.did, "view": "full", "rolledUp": True}),
        201,
    )["assetId"]  # fmt: skip
    _ok(_call(s.oem, "PUT", "/management/v3/duediligence/declarations/own", json=oem_declaration()))
    _ok(_call(s.oem, "POST", "/management/v3/duediligence/suppliers",
              json={"supplier": s.cellmaker.did, "assetId": cell_asset}), 201)  # fmt: skip
    rolled = _call(s.oem, "POST", "/management/v3/duediligence/declarations/own/rollup",
                   json={"conformantCsv": CONFORMANT_CSV})  # fmt: skip
    return {"rollup": _ok(rolled), "refinerAsset": refiner_asset}


def test_the_oem_rolls_up_smelters_from_two_tiers_upstream(chain: dict[str, Any]) -> None:
    # OEM: none of its own; cell maker's roll-up: CellCo S3 + CobaltTrader S1, S2 -> S1, S2, S3.
    smelters = {s["smelter_id"] for s in chain["rollup"]["smelters"]}
    assert smelters == {"CID900001", "CID900002", "CID900003"}
    # CobaltTrader's question 4 "Yes" for cobalt reaches the OEM; the rest stays "No".
    cahra = {a["mineral"]: a["cahra"] for a in chain["rollup"]["minerals"]}
    assert cahra == {"cobalt": "Yes", "lithium": "No", "nickel": "No", "natural graphite": "No"}


def test_the_response_rate_counts_every_tier_including_the_silent_supplier(
    space: Space, chain: dict[str, Any]
) -> None:
    # Asked: the cell maker (by the OEM), the refiner and the silent anode supplier (by the cell maker) = 3;
    # answered: cell maker and refiner = 2 -> 2/3.
    rollup = chain["rollup"]
    assert (rollup["requested"], rollup["responded"]) == (3, 2)
    asked = _ok(_call(space.cellmaker, "GET", "/management/v3/duediligence/suppliers"))
    views = {s["supplier"]: s["view"] for s in asked}
    assert views == {space.refiner.did: "full", SILENT_SUPPLIER: None}
    assert rollup["results"]["responseRate"] == pytest.approx(2 / 3)


def test_oem_metrics_match_the_hand_computed_values(chain: dict[str, Any]) -> None:
    results = chain["rollup"]["results"]
    # coverage: cobalt S1, S2 both with RMI ids 2/2; nickel S3 1/1; lithium and graphite have no smelter.
    assert results["coverage"] == {"cobalt": 1.0, "lithium": None, "nickel": 1.0, "natural graphite": None}
    # conformant list: CID900002..4 conformant, CID900001 "Active": cobalt 1/2, nickel 1/1.
    assert results["conformant"] == {"cobalt": 0.5, "lithium": None, "nickel": 1.0, "natural graphite": None}
    # no smelter of S1, S2, S3 declares 100 % recycled feedstock.
    assert results["recycled"] == {"cobalt": 0.0, "lithium": None, "nickel": 0.0, "natural graphite": None}
    # cobalt: Mutoshi and S1 in CD (a covered country) -> exposed both ways.
    cobalt = results["cahraExposure"]["cobalt"]
    assert (cobalt["answer"], cobalt["mineCountries"], cobalt["smelterCountries"]) == ("Yes", ["CD"], ["CD"])
    # OECD: 1 met (A, C, E, grievance); 2 met (F, Q7 all "Yes", smelters listed); 3 partial (G "No");
    # 4 partial (conformant 2 of 3 ids, verification given); 5 met (B "Yes", report link).
    assert [s["status"] for s in results["oecdSteps"]] == ["met", "met", "partial", "partial", "met"]


def test_passport_values_summarise_the_chain_with_public_assurances_only(chain: dict[str, Any]) -> None:
    values = chain["rollup"]["passportValues"]
    assert values["due_diligence_report"] == "https://carco.example/dd-report-2026.pdf"
    assert values["supply_chain_indices"].splitlines() == [
        "Supplier response rate: 67 %",
        "Smelter coverage (RMI id known): cobalt 100 %, lithium n/a, nickel 100 %, natural graphite n/a",
        "Smelters with a conformant audit status: cobalt 50 %, lithium n/a, nickel 100 %, "
        "natural graphite n/a",
        "Smelters with 100 % recycled feedstock: cobalt 0 %, lithium n/a, nickel 0 %, natural graphite n/a",
        "CAHRA exposure: cobalt yes, lithium no, nickel no, natural graphite no",
        "OECD due diligence steps met: 3 of 5",
    ]
    digest = hashlib.sha256(VERIFICATION).hexdigest()
    assert values["third_party_assurances"] == [f"NB 0042 verification (SHA-256 {digest})"]


def test_due_diligence_values_land_in_the_public_passport(space: Space, chain: dict[str, Any]) -> None:
    values = chain["rollup"]["passportValues"]
    model_id = "urn:battrace:model:carco-dd"
    with space.oem.client() as oem:
        oem.register_passport_model(model_id, "ev", ev_model_values() | values)
        (passport_id,) = oem.issue_passports([{"modelId": model_id, "values": ev_item_values("DD-1")}])
    public = httpx.get(f"{space.oem.base_url}/passports/{passport_id}", timeout=10).json()["values"]
    assert public["supply_chain_indices"] == values["supply_chain_indices"]
    assert public["due_diligence_report"] == values["due_diligence_report"]


def test_a_node_not_designated_cannot_fetch_the_declaration(space: Space, chain: dict[str, Any]) -> None:
    # The refiner published to the cell maker only; the OEM is a known partner with a BPN, but not designated.
    refused = _call(space.oem, "POST", "/management/v3/duediligence/suppliers",
                    json={"supplier": space.refiner.did, "assetId": chain["refinerAsset"]})  # fmt: skip
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    again = _ok(_call(space.oem, "POST", "/management/v3/duediligence/declarations/own/rollup", json={}))
    assert again["requested"] == 3  # nothing was recorded for the refused supplier
    with space.oem.client() as oem:
        catalog = oem.catalog(space.refiner.dsp, space.refiner.did)
    assert chain["refinerAsset"] not in str(catalog)


def test_a_summary_recipient_gets_counts_only_and_publishing_again_replaces_the_offer(
    space: Space, chain: dict[str, Any]
) -> None:
    publications = "/management/v3/duediligence/declarations/own/publications"
    fetched = []
    for view in ("summary", "full"):
        published = _call(
            space.refiner, "POST", publications, json={"recipient": space.recycler.did, "view": view}
        )
        asset_id = _ok(published, 201)["assetId"]
        got = _call(space.recycler, "POST", "/management/v3/duediligence/suppliers",
                    json={"supplier": space.refiner.did, "assetId": asset_id})  # fmt: skip
        fetched.append((asset_id, _ok(got, 201)))
    (first_asset, summary), (second_asset, full) = fetched
    assert first_asset == second_asset
    # Summary (disclosure.py): per mineral the answers and counts; CobaltTrader's S1, S2 both carry RMI ids.
    assert summary["view"] == "summary" and "smelters" not in summary["received"]
    (cobalt,) = summary["received"]["minerals"]
    assert (cobalt["mineral"], cobalt["smelters"], cobalt["identified_smelters"]) == ("cobalt", 2, 2)
    assert full["view"] == "full"
    assert sorted(s["smelter_id"] for s in full["received"]["smelters"]) == ["CID900001", "CID900002"]


def test_publishing_to_a_recipient_whose_bpn_is_unknown_offers_nothing(
    space: Space, chain: dict[str, Any]
) -> None:
    def assets() -> int:
        return len(_ok(_call(space.refiner, "POST", "/management/v3/assets/request", json={})))

    before = assets()
    publications = "/management/v3/duediligence/declarations/own/publications"
    unknown = _call(space.refiner, "POST", publications, json={"recipient": "did:web:unknown.example"})
    assert unknown.status_code == 400 and unknown.json()["reason"] == "bpn"
    # A BPN contradicting what the claims say about the recipient would open the offer to someone else.
    wrong = {"recipient": space.cellmaker.did, "bpn": BPN["oem"]}
    assert _call(space.refiner, "POST", publications, json=wrong).status_code == 400
    assert assets() == before


def test_a_bad_declaration_is_a_400_problem_and_nothing_is_kept(space: Space) -> None:
    bad = oem_declaration()
    bad["smelters"] = [{"mineral": "cobalt", "name": "Somewhere", "country": "XX"}]
    response = _call(space.recycler, "PUT", "/management/v3/duediligence/declarations/bad", json=bad)
    assert response.status_code == 400
    assert "smelters.0.country" in response.json()["detail"]
    assert _call(space.recycler, "GET", "/management/v3/duediligence/declarations/bad").status_code == 404


# -- state of health ----------------------------------------------------------------------------------------

SOH_MODEL = "urn:battrace:model:ev-fleet"


@pytest.fixture(scope="module")
def soh(space: Space) -> dict[str, Any]:
    """Two EV packs of a seeded synthetic fleet (seed 2: both EV, no fault), their passports on the OEM node
    mandating the fleet operator, and the fleet operator's upload."""
    readings, truth = fleet.generate(2, months=24, seed=2)
    with space.oem.client() as oem:
        # The fleet's packs: rated 180 Ah at 355 V...; a CSV export's nameplate is read from the passport.
        plate = fleet.passport_model_values(fleet.EV)
        oem.register_passport_model(SOH_MODEL, "ev", ev_model_values() | plate)
        ids = oem.issue_passports(
            [
                {"modelId": SOH_MODEL, "values": ev_item_values(f"FLEET-{n}", manufactured="2019-06-01"),
                 "mandated": [space.fleet.did]}
                for n in range(2)
            ]
        )  # fmt: skip
    passports = dict(zip(readings.battery_ids, ids, strict=True))
    body: dict[str, Any] = {"format": "csv", "export": fleet.as_csv(readings), "passportNode": space.oem.did}
    body["passports"] = passports
    upload = _ok(_call(space.fleet, "POST", "/management/v3/soh/assessments", json=body), 201)
    export = fleet.as_json(readings)
    return {"upload": upload, "passports": passports, "readings": readings, "truth": truth, "export": export}


def _read_passport(space: Space, passport_id: str, reader: NodeProcess | None) -> dict[str, Any]:
    headers = {}
    if reader is not None:
        with reader.client() as client:
            headers["Authorization"] = client.token_for(space.oem.did)
    response = httpx.get(f"{space.oem.base_url}/passports/{passport_id}", headers=headers, timeout=10)
    return dict(_ok(response))


def test_a_recycler_sees_the_state_of_health_series_the_fleet_operator_wrote(
    space: Space, soh: dict[str, Any]
) -> None:
    readings = parse_json(soh["export"])
    truth = soh["truth"]
    kilocycles = model.kilocycles(readings)
    for b, battery_id in enumerate(readings.battery_ids):
        series = _read_passport(space, soh["passports"][battery_id], space.recycler)["series"]
        (point,) = series["remaining_capacity"]
        # Ground truth of the generator at the last reading (month 23): 180 Ah x (100 - fade) / 100 with
        # fade = c + a sqrt(23/12) + b kq; BMS noise is 0.72 Ah (0.4 % of 180 Ah), so 2.5 Ah is 3.5 sigma.
        last = readings.last_index()[b]
        fade = truth.c[b] + truth.a[b] * np.sqrt(last / 12) + truth.b[b] * kilocycles[b, last]
        assert point["value"] == pytest.approx(180.0 * (100.0 - fade) / 100.0, abs=2.5)
        assert point["unit"] == "Ah"
        assert point["source"] == f"soh-assessment:{soh['upload']['assessmentId']}"
        assert "state_of_certified_energy" in series


def test_the_public_sees_no_state_of_health(space: Space, soh: dict[str, Any]) -> None:
    for passport_id in soh["passports"].values():
        public = _read_passport(space, passport_id, None)
        assert "remaining_capacity" not in public["series"]
        assert "remaining_capacity" not in public["values"]


def test_a_recycler_sees_the_pack_resistance_series_the_fleet_operator_wrote(
    space: Space, soh: dict[str, Any]
) -> None:
    # Annex VII Part A(5): the ohmic resistance, voluntary for an EV, at the access level of the other SoH
    # parameters (Annex XIII 4, legitimate interest only).
    readings = parse_json(soh["export"])
    truth = soh["truth"]
    kilocycles = model.kilocycles(readings)
    for b, battery_id in enumerate(readings.battery_ids):
        passport = _read_passport(space, soh["passports"][battery_id], space.recycler)
        (point,) = passport["series"]["current_ohmic_resistance"]
        last = readings.last_index()[b]
        # The last reading itself, kept to 6 decimals, measured when the capacity was.
        assert point["value"] == round(float(readings.column("resistance")[b, last]), 6)
        assert point["unit"] == "Ω"
        assert point["measuredAt"] == passport["series"]["remaining_capacity"][0]["measuredAt"]
        assert point["source"] == f"soh-assessment:{soh['upload']['assessmentId']}"
        # Ground truth of the generator at month 23: r0 + r1 sqrt(23/12) + r2 kq; the BMS noise is 1.5 % of
        # r0 (about 1.5 mΩ for a 0.1 Ω pack), so 6 % of r0 is 4 sigma.
        r0, r1, r2 = truth.r[b]
        expected = r0 + r1 * np.sqrt(last / 12) + r2 * kilocycles[b, last]
        assert point["value"] == pytest.approx(expected, abs=0.06 * r0)


def test_the_public_sees_no_pack_resistance(space: Space, soh: dict[str, Any]) -> None:
    for passport_id in soh["passports"].values():
        public = _read_passport(space, passport_id, None)
        assert "current_ohmic_resistance" not in public["series"]
        assert "current_ohmic_resistance" not in public["values"]


def test_the_viewer_charts_resistance_for_the_recycler_and_not_for_the_public(
    space: Space, soh: dict[str, Any]
) -> None:
    passport_id = next(iter(soh["passports"].values()))
    page = f"{space.oem.base_url}/passport/{passport_id}"
    public = httpx.get(page, timeout=10)
    assert public.status_code == 200 and "figure-current_ohmic_resistance" not in public.text
    with space.recycler.client() as client:
        token = client.token_for(space.oem.did)
    with httpx.Client(base_url=space.oem.base_url, timeout=10) as browser:
        login = browser.post("/passport/login", data={"token": token, "next": f"/passport/{passport_id}"})
        assert login.status_code == 303
        html = browser.get(f"/passport/{passport_id}").text
    assert 'id="figure-current_ohmic_resistance"' in html
    assert 'id="figure-state_of_certified_energy"' in html  # SOH and resistance over time, side by side


def test_a_fleet_operator_the_oem_did_not_mandate_is_refused(space: Space, soh: dict[str, Any]) -> None:
    readings = soh["readings"]
    with space.oem.client() as oem:
        ids = oem.issue_passports(
            [{"modelId": SOH_MODEL, "values": ev_item_values(f"NOMANDATE-{n}", manufactured="2019-06-01")}
             for n in range(2)]
        )  # fmt: skip
    passports = dict(zip(readings.battery_ids, ids, strict=True))
    body = {"format": "json", "export": soh["export"], "passportNode": space.oem.did, "passports": passports}
    refused = _call(space.fleet, "POST", "/management/v3/soh/assessments", json=body)
    assert refused.status_code == 403, refused.text
    assert _read_passport(space, ids[0], space.recycler)["series"] == {}


def test_an_export_with_a_battery_without_passport_is_refused_before_anything_is_sent(
    space: Space, soh: dict[str, Any]
) -> None:
    first = next(iter(soh["passports"].items()))
    body = {
        "format": "json",
        "export": soh["export"],
        "passportNode": space.oem.did,
        "passports": dict([first]),
    }
    response = _call(space.fleet, "POST", "/management/v3/soh/assessments", json=body)
    assert response.status_code == 400
    assert "no passport given" in response.json()["detail"]


# -- recycling ----------------------------------------------------------------------------------------------


def test_the_recycler_records_its_lots_and_computes_annex_xii_rates(space: Space) -> None:
    me = space.recycler.did
    rows = [{k: (me if v == RECYCLER else v) for k, v in row.items()} for row in example_rows()]
    _ok(_call(space.recycler, "POST", "/management/v3/recycling/events", json={"rows": rows}), 201)
    rates = _ok(_call(space.recycler, "GET", "/management/v3/recycling/rates", params={"year": 2029}))
    # Annex XII Part C: recovered / contained: cobalt 18.6/20, nickel 55.2/60, lithium 12/15, copper 34/40.
    recovery = {e: r["percent"] for e, r in rates["recovery"].items()}
    assert recovery == pytest.approx({"cobalt": 93.0, "nickel": 92.0, "lithium": 80.0, "copper": 85.0})
    assert rates["recovery"]["copper"]["meets"] is False  # target 90 % from 2027
    # Part B: outputs 200 + 120 + 150 + 80 + 119.8 = 669.8 kg of 1000 kg delivered -> 66.98 % (target 65).
    efficiency = rates["recyclingEfficiency"]["lithium_based"]
    assert efficiency["percent"] == pytest.approx(66.98)
    assert efficiency["meets"] is True


def test_a_row_that_breaks_the_mass_balance_is_refused_with_nothing_recorded(space: Space) -> None:
    lot = "urn:battrace:lot:bad-1"
    rows = [
        {"subject": lot, "stage": "placed_on_market", "performed_by": space.recycler.did,
         "at": "2021-01-01T00:00:00+00:00", "model": "X", "category": "ev", "chemistry": "lithium_based",
         "mass_kg": 100, "content_kg": {}},
        {"subject": lot, "stage": "collected", "performed_by": space.recycler.did,
         "at": "2029-01-01T00:00:00+00:00", "mass_kg": 150},
    ]  # fmt: skip
    response = _call(space.recycler, "POST", "/management/v3/recycling/events", json={"rows": rows})
    assert response.status_code == 400, response.text
    assert "row 2" in response.json()["detail"]
    fine = _call(space.recycler, "POST", "/management/v3/recycling/events", json={"rows": rows[:1]})
    assert fine.status_code == 201, fine.text  # the first row was not kept by the refused batch
