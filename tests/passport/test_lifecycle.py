"""Passport life cycle (Art. 77(4), (7), (8)) and dynamic data time series (Annex XIII point 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import Conflict, Forbidden, InvalidInput
from battrace.passport.attributes import BATTERY_STATUSES
from battrace.passport.lifecycle import (
    NEW_PASSPORT_EVENTS,
    TRANSITIONS,
    DynamicValue,
    PassportEvent,
    PassportHistory,
    PassportState,
    step,
)

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
OP = "urn:op:maker"
AGENT = "urn:op:mandated-service"
E = PassportEvent
S = PassportState


def _passport(passport_id: str = "urn:uuid:p1") -> PassportHistory:
    return PassportHistory.issue(passport_id, OP, at=T0, mandated={AGENT})


def _soc(value: float, minutes: int, unit: str = "%") -> DynamicValue:
    return DynamicValue(value, unit, T0 + timedelta(minutes=minutes), "bms:42")


def test_states_are_the_annex_xiii_statuses_plus_closed() -> None:
    assert {s.value for s in S} == {*BATTERY_STATUSES, "closed"}


def test_placing_on_the_market_issues_an_original_passport() -> None:
    p = _passport()
    assert p.state is S.ORIGINAL
    assert [(e.event, e.before, e.after, e.at, e.actor) for e in p.events] == [
        (E.PLACE_ON_MARKET, None, S.ORIGINAL, T0, OP)
    ]


def test_reuse_keeps_the_same_passport() -> None:
    p = _passport()
    out = p.apply(E.REUSE, at=T0 + timedelta(days=1), actor=AGENT)
    assert not out.new_passport_required and out.linked_to is None
    assert p.state is S.REUSED and p.successor is None
    p.append("state_of_charge", _soc(50, 60 * 25), writer=OP)  # still writable


@pytest.mark.parametrize("event", sorted(NEW_PASSPORT_EVENTS))
def test_repurposing_requires_a_new_passport_linked_to_the_original(event: PassportEvent) -> None:
    original = _passport()
    out = original.apply(event, at=T0 + timedelta(days=300), actor=OP, successor_id="urn:uuid:p2")
    assert out.new_passport_required and out.linked_to == "urn:uuid:p1"
    assert original.successor == "urn:uuid:p2"
    assert original.state is (S.REPURPOSED if event is E.REPURPOSE else S.REMANUFACTURED)

    # Art. 77(7): responsibility passes to the operator placing it on the market again.
    second = PassportHistory.issue(
        "urn:uuid:p2", "urn:op:second-life", at=T0 + timedelta(days=301), predecessor=out
    )
    assert second.predecessor == "urn:uuid:p1"
    assert second.state is out.after
    with pytest.raises(Conflict, match="superseded by urn:uuid:p2"):
        original.append("state_of_charge", _soc(10, 10), writer=OP)
    with pytest.raises(Conflict, match="superseded"):
        original.apply(E.DECLARE_WASTE, at=T0 + timedelta(days=400), actor=OP)


def test_repurposing_without_a_successor_id_is_refused() -> None:
    p = _passport()
    with pytest.raises(InvalidInput, match="new passport linked to urn:uuid:p1"):
        p.apply(E.REPURPOSE, at=T0, actor=OP)
    assert p.state is S.ORIGINAL and len(p.events) == 1
    with pytest.raises(InvalidInput, match="keeps the same passport"):
        p.apply(E.REUSE, at=T0, actor=OP, successor_id="urn:uuid:p2")


def test_successor_must_match_the_outcome() -> None:
    out = _passport().apply(E.REPURPOSE, at=T0, actor=OP, successor_id="urn:uuid:p2")
    with pytest.raises(InvalidInput, match="does not call for"):
        PassportHistory.issue("urn:uuid:other", OP, at=T0, predecessor=out)


def test_waste_battery_cannot_be_reused() -> None:
    p = _passport()
    p.apply(E.DECLARE_WASTE, at=T0, actor=OP)
    with pytest.raises(Conflict, match="reuse is not allowed in passport state waste") as err:
        p.apply(E.REUSE, at=T0, actor=OP)
    assert err.value.extra["state"] == "waste" and err.value.extra["event"] == "reuse"
    assert p.state is S.WASTE


def test_waste_battery_prepared_for_repurposing_gets_a_new_linked_passport() -> None:
    waste = _passport()
    waste.apply(E.DECLARE_WASTE, at=T0, actor=OP)
    out = waste.apply(E.REPURPOSE, at=T0 + timedelta(days=1), actor=OP, successor_id="urn:uuid:p2")
    assert out.new_passport_required and out.linked_to == "urn:uuid:p1"
    second = PassportHistory.issue("urn:uuid:p2", "urn:op:bess", at=T0 + timedelta(days=2), predecessor=out)
    assert second.state is S.REPURPOSED and second.predecessor == "urn:uuid:p1"


def test_only_waste_can_be_recycled() -> None:
    with pytest.raises(Conflict, match="recycle is not allowed in passport state original"):
        _passport().apply(E.RECYCLE, at=T0, actor=OP)


def test_recycled_passport_refuses_every_write_but_keeps_its_history() -> None:
    p = _passport()
    p.append("state_of_charge", _soc(80, 1), writer=OP)
    p.apply(E.DECLARE_WASTE, at=T0 + timedelta(days=1), actor=OP)
    p.apply(E.RECYCLE, at=T0 + timedelta(days=2), actor=AGENT)
    assert p.state is S.CLOSED
    for event in E:
        with pytest.raises(Conflict, match="closed"):
            p.apply(event, at=T0 + timedelta(days=3), actor=OP)
    with pytest.raises(Conflict, match=r"Art\. 77\(8\)"):
        p.append("state_of_charge", _soc(70, 60 * 24 * 3), writer=OP)
    assert [e.after for e in p.events] == [S.ORIGINAL, S.WASTE, S.CLOSED]
    assert p.events[-1].actor == AGENT
    assert p.current("state_of_charge") == _soc(80, 1)


def test_static_attribute_cannot_be_appended_as_dynamic_data() -> None:
    with pytest.raises(InvalidInput, match="battery_mass is static data"):
        _passport().append("battery_mass", DynamicValue(400, "kg", T0, "scale"), writer=OP)


def test_status_is_not_appended_as_dynamic_data() -> None:
    with pytest.raises(InvalidInput, match="only through status events"):
        _passport().append("battery_status", DynamicValue("waste", None, T0, "x"), writer=OP)


def test_unknown_attribute_and_wrong_unit_are_refused() -> None:
    p = _passport()
    with pytest.raises(InvalidInput, match="unknown passport attribute"):
        p.append("no_such_key", _soc(1, 1), writer=OP)
    with pytest.raises(InvalidInput, match="measured in %"):
        p.append("state_of_charge", _soc(1, 1, unit="Ah"), writer=OP)


def test_unmandated_party_cannot_write() -> None:
    p = _passport()
    with pytest.raises(Forbidden, match="urn:op:stranger"):
        p.append("state_of_charge", _soc(1, 1), writer="urn:op:stranger")
    with pytest.raises(Forbidden, match=r"Art\. 77\(4\)"):
        p.apply(E.DECLARE_WASTE, at=T0, actor="urn:op:stranger")
    assert p.series("state_of_charge") == () and p.state is S.ORIGINAL
    p.append("state_of_charge", _soc(1, 1), writer=AGENT)
    assert p.current("state_of_charge") == _soc(1, 1)


def test_time_series_keeps_order_and_current_is_the_latest() -> None:
    p = _passport()
    p.append("state_of_charge", _soc(90, 1), writer=OP)
    p.append("state_of_charge", _soc(85, 1), writer=OP)  # same instant is not ambiguous in order
    p.append("state_of_charge", _soc(60, 5), writer=OP)
    assert [v.value for v in p.series("state_of_charge")] == [90, 85, 60]
    assert p.current("state_of_charge") == _soc(60, 5)
    assert p.current("remaining_capacity") is None


def test_older_value_is_refused_as_ambiguous() -> None:
    p = _passport()
    p.append("state_of_charge", _soc(60, 5), writer=OP)
    with pytest.raises(InvalidInput, match="ambiguous"):
        p.append("state_of_charge", _soc(90, 1), writer=OP)
    assert p.series("state_of_charge") == (_soc(60, 5),)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2027, 3, 1, 12, 0)  # naive on purpose
    with pytest.raises(InvalidInput, match="timezone-aware"):
        DynamicValue(1, "%", naive, "bms")
    with pytest.raises(InvalidInput, match="timezone-aware"):
        _passport().apply(E.REUSE, at=naive, actor=OP)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        PassportHistory.issue("urn:uuid:p1", OP, at=naive)


def test_status_events_cannot_go_back_in_time() -> None:
    with pytest.raises(InvalidInput, match="earlier than the last"):
        _passport().apply(E.REUSE, at=T0 - timedelta(seconds=1), actor=OP)


@given(st.lists(st.sampled_from(list(E)), max_size=30))
def test_every_accepted_step_is_in_the_table_and_closed_is_absorbing(events: list[PassportEvent]) -> None:
    state: PassportState | None = None
    for event in events:
        try:
            nxt = step(state, event)
        except Conflict:
            assert (state, event) not in TRANSITIONS
            continue
        assert TRANSITIONS[(state, event)] is nxt
        assert state is not S.CLOSED
        state = nxt
    assert all(s is not S.CLOSED for (s, _e) in TRANSITIONS)
