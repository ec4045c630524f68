"""The operator console: participants with each credential's status, recognitions, the witness's view of the
members' logs with alarms highlighted, and metering totals per member."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from battrace.operator import SpaceOperator
from battrace.operator.records import CertifyRequest
from battrace.operator.witness import (
    Alarm,
    AlarmKind,
    MemberRecord,
    MemberStatus,
    SeenCheckpoint,
    WitnessState,
)

from .conftest import OPERATOR_KEY, T0, FixedClock, log_in

CELL = "did:web:cellmaker.example"
CAR = "did:web:carmaker.example"


def _certify(space: SpaceOperator, did: str, name: str, days: int = 365) -> str:
    request = CertifyRequest.parse(
        {"participant": did, "name": name, "types": ["Membership"], "validDays": days}
    )
    (issued,) = space.certify(request)
    return issued.record.id


def test_participants_show_each_credential_as_active_expired_or_revoked(
    operator: TestClient, space: SpaceOperator, clock: FixedClock
) -> None:
    short = _certify(space, CELL, "Cell <Maker>", days=1)
    revoked = _certify(space, CAR, "Carmaker AG")
    active = _certify(space, CAR, "Carmaker AG")
    space.revoke(revoked)
    clock.now = T0 + timedelta(days=2)  # the one-day credential has expired, the others not
    log_in(operator, OPERATOR_KEY)
    page = operator.get("/console/participants").text
    assert "Cell &lt;Maker&gt;" in page and "Cell <Maker>" not in page

    def status_of(jti: str) -> str:
        row = page.split(jti)[1].split("</tr>")[0]
        return next(s for s in ("active", "expired", "revoked") if f">{s}<" in row)

    assert (status_of(short), status_of(revoked), status_of(active)) == ("expired", "revoked", "active")


def test_an_alarm_is_highlighted_on_the_overview_and_the_witness_page(
    operator: TestClient, space: SpaceOperator
) -> None:
    _certify(space, CAR, "Carmaker AG")
    seen = SeenCheckpoint(size=5, root="cm9vdA==", note="n", seen_at=T0)
    smaller = SeenCheckpoint(size=3, root="b3RoZXI=", note="n", seen_at=T0)
    state = WitnessState(
        members={CAR: MemberRecord(did=CAR, status=MemberStatus.ALARM, polled_at=T0, checkpoint=seen)},
        alarms=[Alarm(id="urn:uuid:alarm-1", kind=AlarmKind.SHRINK, member=CAR, raised_at=T0,
                      detail="<b>log shrank</b> from 5 to 3", last_verified=seen, observed=smaller)],
    )  # fmt: skip
    space.files.write_witness_state(state.model_dump(mode="json", by_alias=True))
    log_in(operator, OPERATOR_KEY)
    overview = operator.get("/console").text
    assert 'role="alert"' in overview and 'class="alarm"' in overview
    assert "&lt;b&gt;log shrank&lt;/b&gt;" in overview
    witness = operator.get("/console/witness").text
    member_row = witness.split('id="members"')[1].split(CAR)[1].split("</tr>")[0]
    assert 'class="alarm">alarm<' in member_row and ">5<" in member_row


def test_a_quiet_space_shows_no_alarm(operator: TestClient, space: SpaceOperator) -> None:
    _certify(space, CAR, "Carmaker AG")
    log_in(operator, OPERATOR_KEY)
    overview = operator.get("/console").text
    assert 'role="alert"' not in overview
    witness = operator.get("/console/witness").text
    assert "pending" in witness.split(CAR)[1].split("</tr>")[0]  # in the directory, not polled yet


def test_metering_defaults_to_this_month_and_refuses_a_malformed_period_politely(
    operator: TestClient,
) -> None:
    log_in(operator, OPERATOR_KEY)
    page = operator.get("/console/metering").text
    assert "2026-03" in page and "period=2026-02" in page and "period=2026-04" in page
    bad = operator.get("/console/metering?period=<x>")
    assert bad.status_code == 200 and "&lt;x&gt;" in bad.text and "<x>" not in bad.text
    assert 'role="alert"' in bad.text


def test_recognitions_page_lists_none_for_a_new_space(operator: TestClient) -> None:
    log_in(operator, OPERATOR_KEY)
    page = operator.get("/console/recognitions").text
    assert "None yet." in page


def test_an_operator_without_a_witness_says_so(space: SpaceOperator) -> None:
    from battrace.operator.http import create_app

    client = TestClient(create_app(space, None), base_url="http://127.0.0.1:8791")
    log_in(client, OPERATOR_KEY)
    assert "This operator runs no witness." in client.get("/console/witness").text
    assert client.get("/console").status_code == 200
