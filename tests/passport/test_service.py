"""The passport service on SQLite and PostgreSQL: issuance, dynamic data, status, split reads, signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from battrace.errors import Conflict, Forbidden, InvalidInput, NotFound
from battrace.identity import NodeKeys, did_document
from battrace.ledger.log import TransparencyLog
from battrace.ledger.note import NoteSigner
from battrace.passport.attributes import Audience, BatteryCategory
from battrace.passport.lifecycle import PassportEvent, PassportState
from battrace.passport.samples import ev_item_values, ev_model_values, sample_battery
from battrace.passport.service import (
    Measurement,
    NewModel,
    NewPassport,
    PassportService,
    ValidationFailed,
)
from battrace.passport.signing import verify_passport_signature
from battrace.store import Store
from battrace.store._orm import PassportRow

OEM = "did:web:oem.example"
FLEET = "did:web:fleet.example"
STRANGER = "did:web:stranger.example"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
MODEL = "urn:battrace:model:ev-pack-77"
PUBLIC = frozenset({Audience.PUBLIC})
RECYCLER = frozenset({Audience.PUBLIC, Audience.LEGITIMATE_INTEREST})
AUTHORITY = frozenset({Audience.PUBLIC, Audience.AUTHORITY})


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def keys() -> NodeKeys:
    return NodeKeys(Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32))


@pytest.fixture
def log(store: Store) -> TransparencyLog:
    signer = NoteSigner("oem.example/log", Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32))
    return TransparencyLog(store, signer, origin="oem.example/log", clock=lambda: T0)


@pytest.fixture
def service(store: Store, keys: NodeKeys, log: TransparencyLog) -> PassportService:
    svc = PassportService(store, keys, did=OEM, log=log, clock=Clock())
    svc.register_model(NewModel(MODEL, BatteryCategory.EV, ev_model_values()))
    return svc


def _issue(service: PassportService, *serials: int, mandated: tuple[str, ...] = ()) -> list[str]:
    items = [
        NewPassport(MODEL, ev_item_values(s), passport_id=f"urn:battrace:passport:{s}", mandated=mandated)
        for s in serials
    ]
    return list(service.issue(items).passport_ids)


def _stored_passports(store: Store) -> int:
    with store.read() as tx:
        return int(tx.session.execute(select(func.count()).select_from(PassportRow)).scalar_one())


def _soce(value: float, day: int) -> Measurement:
    return Measurement("state_of_certified_energy", value, "%", T0 + timedelta(days=day), "bms:vin-1")


def test_public_reader_sees_public_values_and_never_dismantling_or_test_reports(
    service: PassportService,
) -> None:
    (pid,) = _issue(service, 1)
    view = service.document(pid, PUBLIC).view
    assert view.values["rated_capacity"] == 206.0
    assert view.values["battery_identifier"] == ev_item_values(1)["battery_identifier"]
    for restricted in ("dismantling_information", "compliance_test_reports", "battery_status"):
        assert restricted not in view.values
    assert set(view.withheld) == {
        "legitimate_interest_and_commission",
        "notified_bodies_market_surveillance_commission",
        "legitimate_interest",
    }


def test_recycler_sees_dismantling_but_not_test_reports_and_authority_the_reverse(
    service: PassportService,
) -> None:
    (pid,) = _issue(service, 1)
    recycler = service.document(pid, RECYCLER).view.values
    authority = service.document(pid, AUTHORITY).view.values
    assert "dismantling_information" in recycler and "compliance_test_reports" not in recycler
    assert "compliance_test_reports" in authority and "battery_status" not in authority
    assert recycler["battery_status"] == "original"


def test_a_batch_with_one_invalid_passport_stores_nothing_and_logs_nothing(
    store: Store, service: PassportService, log: TransparencyLog
) -> None:
    size = log.size()
    bad = ev_item_values(3) | {"manufacturing_date": "2026-13-40"}
    items = [
        NewPassport(MODEL, ev_item_values(2)),
        NewPassport(MODEL, bad),
    ]
    with pytest.raises(ValidationFailed) as raised:
        service.issue(items)
    assert raised.value.extra["problems"][0]["attribute"] == "manufacturing_date"
    assert _stored_passports(store) == 0
    assert log.size() == size


def test_issuance_logs_one_entry_per_passport_with_hashes_not_values(
    service: PassportService, log: TransparencyLog
) -> None:
    size = log.size()
    issued = service.issue([NewPassport(MODEL, ev_item_values(s)) for s in range(5)])
    assert list(issued.log_indices) == list(range(size, size + 5))
    entries = log.entries(size, size + 5)
    assert [e.kind for e in entries] == ["passport.issue"] * 5
    assert all("extinguishing_agent" not in str(e.payload) for e in entries)
    assert {e.payload["passport"] for e in entries} == set(issued.passport_ids)


def test_the_same_battery_cannot_get_two_passports(store: Store, service: PassportService) -> None:
    _issue(service, 1)
    with pytest.raises(Conflict):
        service.issue([NewPassport(MODEL, ev_item_values(1), passport_id="urn:battrace:passport:other")])
    with pytest.raises(Conflict):
        service.issue([NewPassport(MODEL, ev_item_values(8)), NewPassport(MODEL, ev_item_values(8))])
    assert _stored_passports(store) == 1


def test_model_values_are_refused_on_an_item_and_item_values_on_a_model(service: PassportService) -> None:
    with pytest.raises(InvalidInput, match="per model"):
        service.issue([NewPassport(MODEL, ev_item_values(1) | {"battery_mass": 10.0})])
    with pytest.raises(InvalidInput, match="per battery"):
        service.register_model(NewModel("urn:m2", BatteryCategory.EV, {"manufacturing_date": "2026-01"}))
    with pytest.raises(InvalidInput, match="measurement"):
        service.issue([NewPassport(MODEL, ev_item_values(1) | {"state_of_charge": 50})])


def test_unknown_model_and_unknown_passport_are_not_found(service: PassportService) -> None:
    with pytest.raises(NotFound):
        service.issue([NewPassport("urn:nope", ev_item_values(1))])
    with pytest.raises(NotFound):
        service.document("urn:nope", PUBLIC)


def test_measurements_form_a_series_whose_latest_value_is_the_current_one(service: PassportService) -> None:
    (pid,) = _issue(service, 1, mandated=(FLEET,))
    service.record(pid, [_soce(100.0, 0), _soce(98.5, 30)], writer=FLEET)
    service.record(pid, [_soce(97.9, 60)], writer=OEM)
    document = service.document(pid, RECYCLER)
    points = document.series["state_of_certified_energy"]
    assert [p.value for p in points] == [100.0, 98.5, 97.9]
    assert document.view.values["state_of_certified_energy"] == {
        "value": 97.9,
        "unit": "%",
        "measured_at": (T0 + timedelta(days=60)).isoformat(),
    }


def test_public_reader_gets_no_series_of_item_level_use_data(service: PassportService) -> None:
    (pid,) = _issue(service, 1)
    service.record(pid, [_soce(99.0, 1)], writer=OEM)
    document = service.document(pid, PUBLIC)
    assert document.series == {}
    assert "state_of_certified_energy" not in document.view.values
    assert document.timeline == () and document.state is None


def test_only_the_operator_or_a_mandated_party_writes(store: Store, service: PassportService) -> None:
    (pid,) = _issue(service, 1, mandated=(FLEET,))
    with pytest.raises(Forbidden):
        service.record(pid, [_soce(99.0, 1)], writer=STRANGER)
    with pytest.raises(Forbidden):
        service.change_status(pid, PassportEvent.DECLARE_WASTE, writer=STRANGER)
    with pytest.raises(Forbidden):
        service.issue([NewPassport(MODEL, ev_item_values(2))], writer=FLEET)
    assert service.document(pid, RECYCLER).series == {}


def test_an_older_measurement_than_the_latest_is_refused(service: PassportService) -> None:
    (pid,) = _issue(service, 1)
    service.record(pid, [_soce(99.0, 10)], writer=OEM)
    with pytest.raises(InvalidInput, match="already has a value"):
        service.record(pid, [_soce(99.5, 5)], writer=OEM)


@pytest.mark.parametrize(
    "measurement",
    [
        Measurement("state_of_certified_energy", 99.0, "Ah", T0, "bms"),
        Measurement("state_of_certified_energy", 140.0, "%", T0, "bms"),
        Measurement("rated_capacity", 200.0, "Ah", T0, "bms"),
        Measurement("battery_status", "waste", None, T0, "bms"),
        Measurement("state_of_certified_energy", 99.0, "%", T0.replace(tzinfo=None), "bms"),
        Measurement("state_of_certified_energy", 99.0, "%", T0, ""),
    ],
)
def test_malformed_measurements_are_refused(service: PassportService, measurement: Measurement) -> None:
    (pid,) = _issue(service, 1)
    with pytest.raises(InvalidInput):
        service.record(pid, [measurement], writer=OEM)


def test_reuse_keeps_the_passport_and_shows_in_the_timeline(service: PassportService) -> None:
    (pid,) = _issue(service, 1)
    assert service.change_status(pid, PassportEvent.REUSE, writer=OEM, at=T0 + timedelta(days=400)) is (
        PassportState.REUSED
    )
    document = service.document(pid, RECYCLER)
    assert [e.event for e in document.timeline] == [PassportEvent.PLACE_ON_MARKET, PassportEvent.REUSE]
    assert document.view.values["battery_status"] == "re-used"


def test_repurposing_issues_a_linked_passport_and_freezes_the_original(service: PassportService) -> None:
    (pid,) = _issue(service, 1)
    second = NewPassport(
        MODEL,
        ev_item_values("P1-SL"),
        passport_id="urn:battrace:passport:second-life",
        predecessor=pid,
        origin_event=PassportEvent.REPURPOSE,
    )
    service.issue([second])
    original = service.document(pid, RECYCLER)
    successor = service.document("urn:battrace:passport:second-life", RECYCLER)
    assert original.successor == successor.passport_id and successor.predecessor == pid
    assert original.state is PassportState.REPURPOSED and successor.state is PassportState.REPURPOSED
    with pytest.raises(Conflict, match="superseded"):
        service.record(pid, [_soce(80.0, 900)], writer=OEM)


def test_repurposing_elsewhere_must_name_the_new_passport(service: PassportService) -> None:
    (pid,) = _issue(service, 1)
    with pytest.raises(InvalidInput, match="name its id"):
        service.change_status(pid, PassportEvent.REPURPOSE, writer=OEM)
    service.change_status(pid, PassportEvent.REPURPOSE, writer=OEM, successor_id="urn:elsewhere:sl-1")
    assert service.document(pid, PUBLIC).successor == "urn:elsewhere:sl-1"


def test_recycling_closes_the_passport_and_keeps_the_archive_readable(service: PassportService) -> None:
    (pid,) = _issue(service, 1)
    service.record(pid, [_soce(71.0, 1)], writer=OEM)
    service.change_status(pid, PassportEvent.DECLARE_WASTE, writer=OEM, at=T0 + timedelta(days=2))
    service.change_status(pid, PassportEvent.RECYCLE, writer=OEM, at=T0 + timedelta(days=3))
    document = service.document(pid, RECYCLER)
    assert document.state is PassportState.CLOSED
    assert document.view.values["battery_status"] == "waste"  # Annex XIII 4(c) has no "closed"
    assert document.series["state_of_certified_energy"][0].value == 71.0
    with pytest.raises(Conflict, match="closed"):
        service.record(pid, [_soce(70.0, 5)], writer=OEM)


def test_a_status_change_the_life_cycle_does_not_allow_is_a_conflict(service: PassportService) -> None:
    (pid,) = _issue(service, 1)
    with pytest.raises(Conflict):
        service.change_status(pid, PassportEvent.RECYCLE, writer=OEM)


def test_every_reader_can_verify_the_issuers_signature_over_what_it_sees(
    service: PassportService, keys: NodeKeys
) -> None:
    (pid,) = _issue(service, 1)
    service.record(pid, [_soce(99.0, 1)], writer=OEM)
    issuer = did_document(OEM, keys)
    for audiences in (PUBLIC, RECYCLER, AUTHORITY):
        document = service.document(pid, audiences)
        assert document.signature is not None
        verified = verify_passport_signature(
            document.signature, issuer_document=issuer, visible=document.view.values
        )
        assert verified.passport_id == pid and verified.model_id == MODEL


def test_a_changed_value_no_longer_matches_the_signature(service: PassportService, keys: NodeKeys) -> None:
    (pid,) = _issue(service, 1)
    document = service.document(pid, PUBLIC)
    assert document.signature is not None
    forged = dict(document.view.values) | {"carbon_footprint_per_functional_unit": 12.0}
    with pytest.raises(InvalidInput, match="differ"):
        verify_passport_signature(document.signature, issuer_document=did_document(OEM, keys), visible=forged)


def test_a_qr_code_identifier_resolves_to_its_passport(service: PassportService) -> None:
    (pid,) = _issue(service, 42)
    assert service.resolve(sample_battery(42)) == pid
    assert service.resolve(sample_battery(43)) is None


def test_passports_page_by_id(service: PassportService) -> None:
    ids = sorted(_issue(service, *range(7)))
    first = service.passport_ids(limit=4)
    rest = service.passport_ids(after=first[-1], limit=4)
    assert first + rest == ids
