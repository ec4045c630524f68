"""DSP 2025-1 Transfer Process state machine: every edge of the table, its complement, the TCK negatives."""

from __future__ import annotations

import itertools

import pytest

from battrace.dsp.states import InvalidTransition, Role, TransferEvent, TransferState, is_terminal
from battrace.dsp.transfer import TRANSFER_TRANSITIONS, next_transfer_state, transfer_event_of
from battrace.errors import InvalidInput

S, E, C, P = TransferState, TransferEvent, Role.CONSUMER, Role.PROVIDER

# The transfer diagram of the 2025-1 spec, written out independently of the module (research notes §4.1).
EXPECTED_EDGES: dict[tuple[TransferState | None, TransferEvent, Role], TransferState] = {
    (None, E.REQUEST, C): S.REQUESTED,
    (S.REQUESTED, E.START, P): S.STARTED,
    (S.REQUESTED, E.TERMINATE, C): S.TERMINATED,
    (S.REQUESTED, E.TERMINATE, P): S.TERMINATED,
    **{(S.STARTED, E.COMPLETE, r): S.COMPLETED for r in Role},
    **{(S.STARTED, E.SUSPEND, r): S.SUSPENDED for r in Role},
    **{(S.STARTED, E.TERMINATE, r): S.TERMINATED for r in Role},
    **{(S.SUSPENDED, E.START, r): S.STARTED for r in Role},
    **{(S.SUSPENDED, E.TERMINATE, r): S.TERMINATED for r in Role},
}
FORBIDDEN = [t for t in itertools.product([None, *S], E, Role) if t not in EXPECTED_EDGES]


def _id(t: tuple[object, ...]) -> str:
    return "-".join("START" if x is None else str(x) for x in t)


def test_table_has_exactly_the_edges_of_the_spec_diagram() -> None:
    table = {(s, e, r): n for s, row in TRANSFER_TRANSITIONS.items() for (e, r), n in row.items()}
    assert table == EXPECTED_EDGES


@pytest.mark.parametrize(
    ("edge", "target"), list(EXPECTED_EDGES.items()), ids=[_id(k) for k in EXPECTED_EDGES]
)
def test_allowed_transition_reaches_the_diagram_state(
    edge: tuple[TransferState | None, TransferEvent, Role], target: TransferState
) -> None:
    assert next_transfer_state(*edge) is target


@pytest.mark.parametrize("edge", FORBIDDEN, ids=[_id(t) for t in FORBIDDEN])
def test_transition_missing_from_the_diagram_is_refused_with_a_400(
    edge: tuple[TransferState | None, TransferEvent, Role],
) -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_transfer_state(*edge)
    error = caught.value
    assert isinstance(error, InvalidInput) and error.status == 400
    assert (error.current, error.event, error.sender) == edge
    assert "DSP 2025-1 Transfer Process" in error.detail


def test_only_the_provider_starts_a_requested_transfer() -> None:
    with pytest.raises(InvalidTransition, match="only the provider sends TransferStartMessage"):
        next_transfer_state(S.REQUESTED, E.START, C)


@pytest.mark.parametrize("sender", list(Role))
def test_either_side_resumes_a_suspended_transfer(sender: Role) -> None:
    assert next_transfer_state(S.SUSPENDED, E.START, sender) is S.STARTED


def test_terminal_states_are_completed_and_terminated() -> None:
    assert {s for s in S if is_terminal(s)} == {S.COMPLETED, S.TERMINATED}


# --- one test per TCK negative case -----------------------------------------------------------------


def _drive(*steps: tuple[TransferEvent, Role]) -> TransferState | None:
    state: TransferState | None = None
    for event, sender in steps:
        state = next_transfer_state(state, event, sender)
    return state


def _refused(state: TransferState | None, event: TransferEvent, sender: Role) -> None:
    with pytest.raises(InvalidTransition):
        next_transfer_state(state, event, sender)


def test_tck_tp_03_01_completion_from_requested_is_refused() -> None:
    _refused(_drive((E.REQUEST, C)), E.COMPLETE, C)


def test_tck_tp_03_02_suspension_from_requested_is_refused() -> None:
    _refused(_drive((E.REQUEST, C)), E.SUSPEND, C)


def test_tck_tp_03_03_completion_from_suspended_is_refused() -> None:
    _refused(_drive((E.REQUEST, C), (E.START, P), (E.SUSPEND, C)), E.COMPLETE, C)


def test_tck_tp_03_04_start_after_terminated_is_refused() -> None:
    _refused(_drive((E.REQUEST, C), (E.START, P), (E.TERMINATE, C)), E.START, C)


def test_tck_tp_03_05_suspension_after_terminated_is_refused() -> None:
    _refused(_drive((E.REQUEST, C), (E.START, P), (E.TERMINATE, C)), E.SUSPEND, C)


def test_tck_tp_03_06_completion_after_terminated_is_refused() -> None:
    _refused(_drive((E.REQUEST, C), (E.START, P), (E.TERMINATE, C)), E.COMPLETE, C)


def test_tck_tp_c_03_01_provider_completion_from_requested_is_refused() -> None:
    _refused(_drive((E.REQUEST, C)), E.COMPLETE, P)


def test_tck_tp_c_03_02_provider_suspension_from_requested_is_refused() -> None:
    _refused(_drive((E.REQUEST, C)), E.SUSPEND, P)


def test_tck_tp_c_03_03_provider_completion_from_suspended_is_refused() -> None:
    _refused(_drive((E.REQUEST, C), (E.START, P), (E.SUSPEND, P)), E.COMPLETE, P)


def test_tck_tp_c_03_04_provider_start_after_terminated_is_refused() -> None:
    _refused(_drive((E.REQUEST, C), (E.START, P), (E.TERMINATE, P)), E.START, P)


def test_tck_tp_c_03_05_provider_suspension_after_terminated_is_refused() -> None:
    _refused(_drive((E.REQUEST, C), (E.START, P), (E.TERMINATE, P)), E.SUSPEND, P)


def test_tck_tp_c_03_06_provider_completion_after_terminated_is_refused() -> None:
    _refused(_drive((E.REQUEST, C), (E.START, P), (E.TERMINATE, P)), E.COMPLETE, P)


@pytest.mark.parametrize("event", list(E))
def test_transfer_message_maps_to_its_event(event: TransferEvent) -> None:
    assert transfer_event_of({"@type": event.value}) is event


@pytest.mark.parametrize("message", [{"@type": "ContractRequestMessage"}, {"@type": 3}, {}])
def test_message_that_is_no_transfer_event_is_invalid_input(message: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        transfer_event_of(message)
