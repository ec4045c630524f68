"""Collection, recycling and the closed loop between real node processes (issue 7, item 2): a producer (the
OEM), a recycler (which also collects and refines) and a cell maker run the shipped example
(battrace.apps.recycling.example). Each party records the events it performs; the others get them through
the data space. Every expected number is worked out by hand beside its assertion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from battrace.apps.recycling.example import (
    CARMAKER,
    CATHODE_MAKER,
    COLLECTOR,
    EV_LOT,
    RECYCLER,
    REFINER,
    TOOLMAKER,
    claim_body,
    example_rows,
    with_parties,
)
from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_item_values, ev_model_values

from .conftest import free_port

BPN = {"oem": "BPNL00000000OEM1", "recycler": "BPNL00000000RCY1", "cellmaker": "BPNL00000000CEL1"}
OLD_MODEL = "urn:battrace:model:evp-75"
NEW_MODEL = "urn:battrace:model:nmc-cell-2"
EVENTS = "/management/v3/recycling/events"


@dataclass
class Space:
    oem: NodeProcess
    recycler: NodeProcess
    cellmaker: NodeProcess


def _call(node: NodeProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method, node.base_url + path, headers={"X-Api-Key": node.api_key}, timeout=60, **kwargs
    )


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return dict(response.json())


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Space]:
    root = tmp_path_factory.mktemp("recycling")
    s = Space(*(NodeProcess(name, free_port(), root) for name in ("oem", "recycler", "cellmaker")))
    # What verified credentials would say: BPNs (offers admit one BPN) and the recycler's role on the OEM's
    # node (a person with a legitimate interest, Art. 77(2)(c), sees the passport's status).
    s.oem.peers = {s.recycler.did: {"bpn": BPN["recycler"], "roles": ["Recycler"]}}
    s.recycler.peers = {s.oem.did: {"bpn": BPN["oem"]}, s.cellmaker.did: {"bpn": BPN["cellmaker"]}}
    s.cellmaker.peers = {s.recycler.did: {"bpn": BPN["recycler"]}}
    nodes = (s.oem, s.recycler, s.cellmaker)
    try:
        for node in nodes:
            node.start()
        yield s
    finally:
        for node in reversed(nodes):
            node.stop()


def _rows(space: Space) -> list[dict[str, object]]:
    """The example's parties as the three nodes: the OEM produced the EV lot and the portable lots, the
    recycler collected, treated and refined, the cell maker bought the recovered cobalt and nickel."""
    oem, recycler = space.oem.did, space.recycler.did
    parties = {CARMAKER: oem, TOOLMAKER: oem, COLLECTOR: recycler, RECYCLER: recycler, REFINER: recycler,
               CATHODE_MAKER: space.cellmaker.did}  # fmt: skip
    return with_parties(example_rows(), parties)


@pytest.fixture(scope="module")
def loop(space: Space) -> dict[str, Any]:
    s = space
    rows = _rows(s)
    with s.oem.client() as oem:
        oem.register_passport_model(OLD_MODEL, "ev", ev_model_values())
        mandated, unmandated = oem.issue_passports(
            [{"modelId": OLD_MODEL, "values": ev_item_values("EVP-0042"), "mandated": [s.recycler.did]},
             {"modelId": OLD_MODEL, "values": ev_item_values("EVP-0043")}]
        )  # fmt: skip
    # 1. The producer records its placings on the market (1 EV lot + 3 portable lots) and offers them.
    own = [r for r in rows if r["performed_by"] == s.oem.did]
    _ok(_call(s.oem, "POST", EVENTS, json={"rows": own}), 201)
    offered = _ok(_call(s.oem, "POST", "/management/v3/recycling/publications",
                        json={"recipient": s.recycler.did}), 201)  # fmt: skip
    imported = _ok(_call(s.recycler, "POST", "/management/v3/recycling/imports",
                         json={"provider": s.oem.did, "assetId": offered["assetId"]}), 201)  # fmt: skip
    # 2. The recycler records what it did, closing the EV battery's passport as the OEM's mandated party.
    mine = [r for r in rows if r["performed_by"] == s.recycler.did]
    body = {"rows": mine, "passportNode": s.oem.did, "passports": {EV_LOT: mandated}}
    recorded = _ok(_call(s.recycler, "POST", EVENTS, json=body), 201)
    # 3. It reports its collection and treatment of the OEM's batteries back to the OEM.
    report = _ok(_call(s.recycler, "POST", "/management/v3/recycling/publications",
                       json={"recipient": s.oem.did}), 201)  # fmt: skip
    reported = _ok(_call(s.oem, "POST", "/management/v3/recycling/imports",
                         json={"provider": s.recycler.did, "assetId": report["assetId"]}), 201)  # fmt: skip
    return {"imported": imported, "recorded": recorded, "reported": reported, "mandated": mandated,
            "unmandated": unmandated, "oemRowCount": len(own), "recyclerRowCount": len(mine)}  # fmt: skip


@pytest.fixture(scope="module")
def claim(space: Space, loop: dict[str, Any]) -> dict[str, Any]:
    """The recycler offers its two sale statements to the cell maker, which claims them for NMC-CELL-2."""
    s = space
    received = []
    for sale in ("S-2029-017", "S-2029-018"):
        offered = _ok(_call(s.recycler, "POST", f"/management/v3/recycling/sales/{sale}/statement"), 201)
        got = _call(s.cellmaker, "POST", "/management/v3/recycling/statements",
                    json={"seller": s.recycler.did, "assetId": offered["assetId"]})  # fmt: skip
        received.append((offered, _ok(got, 201)))
    claims = [{"saleId": "S-2029-017", "element": "cobalt", "massKg": 18.0},
              {"saleId": "S-2029-018", "element": "nickel", "massKg": 50.0}]  # fmt: skip
    body = _claim_body(NEW_MODEL, claims)
    claimed = _ok(_call(s.cellmaker, "POST", "/management/v3/recycling/claims", json=body), 201)
    return {"received": received, "claimed": claimed}


def _claim_body(model_id: str, claims: list[dict[str, Any]]) -> dict[str, Any]:
    return claim_body(model_id, claims, ev_model_values())


def _passport(
    space: Space, node: NodeProcess, passport_id: str, reader: NodeProcess | None
) -> dict[str, Any]:
    headers = {}
    if reader is not None:
        with reader.client() as client:
            headers["Authorization"] = client.token_for(node.did)
    return dict(_ok(httpx.get(f"{node.base_url}/passports/{passport_id}", headers=headers, timeout=10)))


# -- events recorded by the parties who perform them -------------------------------------------------------


def test_each_party_gets_the_others_events_through_the_data_space(loop: dict[str, Any]) -> None:
    # The OEM's 4 placings reach the recycler; the recycler's rows: EV lot collected, delivered, dismantled,
    # shredded, refined, sold x2 (7) + 2 portable collections = 9; reported back: 9 - 2 sales = 7.
    assert (loop["imported"]["received"], loop["imported"]["recorded"]) == (4, 4)
    assert (loop["recyclerRowCount"], loop["recorded"]["own"]) == (9, 9)
    assert (loop["reported"]["received"], loop["reported"]["recorded"]) == (7, 7)
    assert len(loop["imported"]["sha256"]) == 64


def test_importing_the_same_offer_again_records_nothing_twice(space: Space, loop: dict[str, Any]) -> None:
    again = _ok(_call(space.oem, "POST", "/management/v3/recycling/publications",
                      json={"recipient": space.recycler.did}), 201)  # fmt: skip
    got = _call(space.recycler, "POST", "/management/v3/recycling/imports",
                json={"provider": space.oem.did, "assetId": again["assetId"]})  # fmt: skip
    assert (_ok(got, 201)["received"], _ok(got, 201)["recorded"]) == (4, 0)


def test_the_producer_computes_its_collection_rate_from_what_the_recycler_reported(
    space: Space, loop: dict[str, Any]
) -> None:
    rate = _ok(_call(space.oem, "GET", "/management/v3/recycling/collection-rate",
                     params={"year": 2027, "category": "portable"}))  # fmt: skip
    # Annex XI 2027: collected in 2027 (reported by the recycler) 700 + 200 = 900 kg; placed on the market
    # (the OEM's own) 2025-2027: (1000 + 1200 + 1400) / 3 = 1200 kg -> 900 / 1200 = 75 %, target 63 %.
    assert rate["percent"] == pytest.approx(75.0)
    assert (rate["target"], rate["meets"], rate["producer"]) == (63.0, True, space.oem.did)


def test_the_recycler_computes_annex_xii_rates_on_the_producers_lot(
    space: Space, loop: dict[str, Any]
) -> None:
    rates = _ok(_call(space.recycler, "GET", "/management/v3/recycling/rates", params={"year": 2029}))
    # Part C: recovered / contained at delivery (1000 of 1000 kg delivered, scale 1):
    # Co 18.6/20 = 93 %, Ni 55.2/60 = 92 %, Li 12/15 = 80 %, Cu 34/40 = 85 % (< 90 % target from 2027).
    recovery = {e: r["percent"] for e, r in rates["recovery"].items()}
    assert recovery == pytest.approx({"cobalt": 93.0, "nickel": 92.0, "lithium": 80.0, "copper": 85.0})
    assert [rates["recovery"][e]["meets"] for e in ("cobalt", "lithium", "copper")] == [True, True, False]
    # Part B: (200 + 120 steel/aluminium) + 150 foil + 80 graphite + 119.8 recovered = 669.8 of 1000 kg.
    assert rates["recyclingEfficiency"]["lithium_based"]["percent"] == pytest.approx(66.98)
    assert rates["lots"] == [EV_LOT]


def test_the_recycler_closed_the_passport_as_the_oems_mandated_party(
    space: Space, loop: dict[str, Any]
) -> None:
    (closed,) = loop["recorded"]["closed"]
    assert closed["state"] == "closed"
    seen = _passport(space, space.oem, loop["mandated"], space.recycler)
    assert seen["state"] == "closed"
    # Annex XIII 4(c): waste at delivery to the facility, recycled at its first treatment (dismantling).
    events = [(e["event"], e["at"][:10]) for e in seen["timeline"][1:]]
    assert events == [("declare_waste", "2029-06-01"), ("recycle", "2029-06-10")]
    assert seen["timeline"][-1]["actor"] == space.recycler.did


# -- the closed loop --------------------------------------------------------------------------------------


def test_the_new_models_passport_carries_the_traced_recycled_content_publicly(
    space: Space, claim: dict[str, Any]
) -> None:
    with space.cellmaker.client() as cellmaker:
        (passport_id,) = cellmaker.issue_passports(
            [{"modelId": NEW_MODEL, "values": ev_item_values("NMC-1")}]
        )
    public = _passport(space, space.cellmaker, passport_id, None)["values"]
    # Art. 8 for 2031 (targets of 18 August 2031): cobalt pre 9/150 = 6 %, post 18/150 = 12 % (18 % >= 16);
    # nickel pre 20/1000 = 2 %, post 50/1000 = 5 %; lithium pre 4/200 = 2 %, post 0 %.
    shares = {k: public[k] for k in public if "recycled" in k and "lead" not in k}
    assert shares == pytest.approx({
        "pre_consumer_recycled_cobalt_share": 6.0, "post_consumer_recycled_cobalt_share": 12.0,
        "pre_consumer_recycled_nickel_share": 2.0, "post_consumer_recycled_nickel_share": 5.0,
        "pre_consumer_recycled_lithium_share": 2.0, "post_consumer_recycled_lithium_share": 0.0,
    })  # fmt: skip
    assert claim["claimed"]["shares"]["cobalt"]["meets"] is True
    assert claim["claimed"]["shares"]["lithium"]["meets"] is False  # 2 % < 6 %


def test_the_claim_keeps_the_digest_of_each_signed_sale_statement(
    space: Space, claim: dict[str, Any]
) -> None:
    evidence = {e["saleId"]: e for e in claim["claimed"]["evidence"]}
    for offered, received in claim["received"]:
        # the bytes the recycler offered are the bytes the cell maker verified and kept
        assert evidence[offered["saleId"]]["sha256"] == offered["sha256"] == received["sha256"]
        assert evidence[offered["saleId"]]["seller"] == space.recycler.did
    (cobalt,) = [r for _, r in claim["received"] if r["element"] == "cobalt"]
    assert (cobalt["massKg"], cobalt["subject"]) == (18.0, EV_LOT)
    kept = _ok(_call(space.cellmaker, "GET", f"/management/v3/recycling/claims/{NEW_MODEL}"))
    assert kept["evidence"] == claim["claimed"]["evidence"]


# -- refusals -----------------------------------------------------------------------------------------------


def test_claiming_more_cobalt_than_was_sold_is_refused_and_nothing_is_written(
    space: Space, claim: dict[str, Any]
) -> None:
    # All 18 kg of sale S-2029-017 went into NMC-CELL-2; another 0.5 kg makes 18.5 kg claimed of 18 sold,
    # beyond the tolerance (18 x 1.005 + 0.001 = 18.091 kg).
    body = _claim_body(
        "urn:battrace:model:nmc-cell-3", [{"saleId": "S-2029-017", "element": "cobalt", "massKg": 0.5}]
    )
    problem = _problem(_call(space.cellmaker, "POST", "/management/v3/recycling/claims", json=body), 400)
    assert "hop claimed" in problem["detail"] and "18.5 kg cobalt" in problem["detail"]
    models = _ok(_call(space.cellmaker, "GET", "/management/v3/passport-models"))
    assert "urn:battrace:model:nmc-cell-3" not in str(models)
    missing = _call(space.cellmaker, "GET", "/management/v3/recycling/claims/urn:battrace:model:nmc-cell-3")
    assert missing.status_code == 404


def test_a_collection_above_what_was_placed_on_the_market_is_refused_with_nothing_recorded(
    space: Space, loop: dict[str, Any]
) -> None:
    # The 2027 portable lot was placed with 1400 kg; 1500 kg is beyond 1400 x 1.005 + 0.001 = 1407.001 kg.
    row = {"subject": "urn:battrace:lot:portable-2027", "stage": "collected",
           "performed_by": space.recycler.did, "at": "2028-03-01T00:00:00+00:00",
           "mass_kg": 1500}  # fmt: skip
    problem = _problem(_call(space.recycler, "POST", EVENTS, json={"rows": [row]}), 400)
    assert problem["detail"].startswith("row 1, field mass_kg")
    report = _ok(_call(space.recycler, "POST", "/management/v3/recycling/publications",
                       json={"recipient": space.oem.did}), 201)  # fmt: skip
    assert report["rows"] == 7  # still the seven rows reported before


def test_a_recycler_the_oem_did_not_mandate_cannot_close_the_passport(
    space: Space, loop: dict[str, Any]
) -> None:
    body = {"subject": EV_LOT, "passportNode": space.oem.did, "passportId": loop["unmandated"]}
    problem = _problem(_call(space.recycler, "POST", "/management/v3/recycling/closures", json=body), 403)
    assert problem["reason"] == "not_mandated"
    assert _passport(space, space.oem, loop["unmandated"], space.recycler)["state"] == "original"


def test_a_party_that_treated_nothing_cannot_close_a_passport(space: Space, loop: dict[str, Any]) -> None:
    body = {"subject": EV_LOT, "passportNode": space.oem.did, "passportId": loop["unmandated"]}
    problem = _problem(_call(space.cellmaker, "POST", "/management/v3/recycling/closures", json=body), 400)
    assert problem["reason"] == "not_treated"
