"""DSP 2025-1 Contract Negotiation state machine: every table edge, its complement, the TCK negatives."""

from __future__ import annotations

import itertools

import pytest

from battrace.dsp.negotiation import NEGOTIATION_TRANSITIONS, negotiation_event_of, next_negotiation_state
from battrace.dsp.states import InvalidTransition, NegotiationEvent, NegotiationState, Role, is_terminal
from battrace.errors import InvalidInput

S, E, C, P = NegotiationState, NegotiationEvent, Role.CONSUMER, Role.PROVIDER

# The diagram of the 2025-1 spec, written out independently of the module's table (research notes §3.1).
EXPECTED_EDGES = {
    (None, E.REQUEST, C): S.REQUESTED,
    (None, E.OFFER, P): S.OFFERED,
    (S.REQUESTED, E.OFFER, P): S.OFFERED,
    (S.REQUESTED, E.AGREE, P): S.AGREED,
    (S.REQUESTED, E.TERMINATE, C): S.TERMINATED,
    (S.REQUESTED, E.TERMINATE, P): S.TERMINATED,
    (S.OFFERED, E.REQUEST, C): S.REQUESTED,
    (S.OFFERED, E.ACCEPT, C): S.ACCEPTED,
    (S.OFFERED, E.TERMINATE, C): S.TERMINATED,
    (S.OFFERED, E.TERMINATE, P): S.TERMINATED,
    (S.ACCEPTED, E.AGREE, P): S.AGREED,
    (S.ACCEPTED, E.TERMINATE, P): S.TERMINATED,
    (S.AGREED, E.VERIFY, C): S.VERIFIED,
    (S.AGREED, E.TERMINATE, C): S.TERMINATED,
    (S.VERIFIED, E.FINALIZE, P): S.FINALIZED,
    (S.VERIFIED, E.TERMINATE, P): S.TERMINATED,
}
ALL_TRIPLES = list(itertools.product([None, *S], E, Role))
FORBIDDEN = [t for t in ALL_TRIPLES if t not in EXPECTED_EDGES]


def _id(t: tuple[object, ...]) -> str:
    return "-".join("START" if x is None else str(x) for x in t)


def test_table_has_exactly_the_edges_of_the_spec_diagram() -> None:
    table = {(s, e, r): n for s, row in NEGOTIATION_TRANSITIONS.items() for (e, r), n in row.items()}
    assert table == EXPECTED_EDGES


@pytest.mark.parametrize(
    ("edge", "target"), list(EXPECTED_EDGES.items()), ids=[_id(k) for k in EXPECTED_EDGES]
)
def test_allowed_transition_reaches_the_diagram_state(
    edge: tuple[NegotiationState | None, NegotiationEvent, Role], target: NegotiationState
) -> None:
    assert next_negotiation_state(*edge) is target


@pytest.mark.parametrize("edge", FORBIDDEN, ids=[_id(t) for t in FORBIDDEN])
def test_transition_missing_from_the_diagram_is_refused_with_a_400(
    edge: tuple[NegotiationState | None, NegotiationEvent, Role],
) -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_negotiation_state(*edge)
    error = caught.value
    assert isinstance(error, InvalidInput) and error.status == 400
    assert (error.current, error.event, error.sender) == edge
    assert "DSP 2025-1 Contract Negotiation" in error.detail
    assert error.problem()["event"] == edge[1].value


@pytest.mark.parametrize("state", [None, *S])
def test_consumer_never_sends_finalized(state: NegotiationState | None) -> None:
    with pytest.raises(InvalidTransition):
        next_negotiation_state(state, E.FINALIZE, C)


@pytest.mark.parametrize("state", [None, *S])
def test_provider_never_sends_accepted(state: NegotiationState | None) -> None:
    with pytest.raises(InvalidTransition):
        next_negotiation_state(state, E.ACCEPT, P)


def test_role_rule_is_named_in_the_error_detail() -> None:
    with pytest.raises(InvalidTransition, match="the consumer never sends FINALIZED"):
        next_negotiation_state(S.VERIFIED, E.FINALIZE, C)
    with pytest.raises(
        InvalidTransition, match="the provider never sends ContractAgreementVerificationMessage"
    ):
        next_negotiation_state(S.AGREED, E.VERIFY, P)
    # DSP diagram: in AGREED only the consumer may terminate (it has not verified yet).
    with pytest.raises(
        InvalidTransition, match="only the consumer sends ContractNegotiationTerminationMessage"
    ):
        next_negotiation_state(S.AGREED, E.TERMINATE, P)
    with pytest.raises(InvalidTransition, match="allowed here: ContractAgreementMessage by provider"):
        next_negotiation_state(S.ACCEPTED, E.OFFER, P)


@pytest.mark.parametrize(
    ("terminal", "event", "sender"), list(itertools.product([S.FINALIZED, S.TERMINATED], E, Role))
)
def test_nothing_is_allowed_after_a_terminal_state(
    terminal: NegotiationState, event: NegotiationEvent, sender: Role
) -> None:
    with pytest.raises(InvalidTransition, match="terminal"):
        next_negotiation_state(terminal, event, sender)


def test_terminal_states_are_finalized_and_terminated() -> None:
    assert {s for s in S if is_terminal(s)} == {S.FINALIZED, S.TERMINATED}
    assert not is_terminal(None)


# --- one test per TCK negative case (tck/test-cases.json) -------------------------------------------


def _drive(*steps: tuple[NegotiationEvent, Role]) -> NegotiationState | None:
    state: NegotiationState | None = None
    for event, sender in steps:
        state = next_negotiation_state(state, event, sender)
    return state


def test_tck_cn_03_01_termination_after_finalized_is_refused() -> None:
    state = _drive((E.REQUEST, C), (E.AGREE, P), (E.VERIFY, C), (E.FINALIZE, P))
    with pytest.raises(InvalidTransition):
        next_negotiation_state(state, E.TERMINATE, C)


def test_tck_cn_03_02_consumer_verification_in_offered_is_refused() -> None:
    state = _drive((E.REQUEST, C), (E.OFFER, P))
    with pytest.raises(InvalidTransition):
        next_negotiation_state(state, E.VERIFY, C)


def test_tck_cn_03_03_consumer_verification_in_accepted_is_refused() -> None:
    state = _drive((E.REQUEST, C), (E.OFFER, P), (E.ACCEPT, C))
    with pytest.raises(InvalidTransition):
        next_negotiation_state(state, E.VERIFY, C)


def test_tck_cn_03_04_second_consumer_counter_request_is_refused() -> None:
    state = _drive((E.REQUEST, C), (E.OFFER, P), (E.REQUEST, C))
    assert state is S.REQUESTED
    with pytest.raises(InvalidTransition):
        next_negotiation_state(state, E.REQUEST, C)


def test_tck_cn_c_03_01_provider_finalized_in_requested_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        next_negotiation_state(_drive((E.REQUEST, C)), E.FINALIZE, P)


def test_tck_cn_c_03_02_provider_agreement_in_offered_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        next_negotiation_state(_drive((E.REQUEST, C), (E.OFFER, P)), E.AGREE, P)


def test_tck_cn_c_03_03_provider_finalized_in_offered_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        next_negotiation_state(_drive((E.REQUEST, C), (E.OFFER, P)), E.FINALIZE, P)


def test_tck_cn_c_03_04_provider_finalized_in_accepted_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        next_negotiation_state(_drive((E.REQUEST, C), (E.OFFER, P), (E.ACCEPT, C)), E.FINALIZE, P)


def test_tck_cn_c_03_05_provider_offer_in_accepted_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        next_negotiation_state(_drive((E.REQUEST, C), (E.OFFER, P), (E.ACCEPT, C)), E.OFFER, P)


def test_tck_cn_c_03_06_provider_finalized_in_agreed_is_refused() -> None:
    state = _drive((E.REQUEST, C), (E.OFFER, P), (E.ACCEPT, C), (E.AGREE, P))
    with pytest.raises(InvalidTransition):
        next_negotiation_state(state, E.FINALIZE, P)


# --- mapping wire messages to events ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "event"),
    [
        ({"@type": "ContractRequestMessage"}, E.REQUEST),
        ({"@type": "ContractOfferMessage"}, E.OFFER),
        ({"@type": "ContractAgreementMessage"}, E.AGREE),
        ({"@type": "ContractAgreementVerificationMessage"}, E.VERIFY),
        ({"@type": "ContractNegotiationTerminationMessage"}, E.TERMINATE),
        ({"@type": "ContractNegotiationEventMessage", "eventType": "ACCEPTED"}, E.ACCEPT),
        ({"@type": "ContractNegotiationEventMessage", "eventType": "FINALIZED"}, E.FINALIZE),
    ],
)
def test_negotiation_message_maps_to_its_event(message: dict[str, str], event: NegotiationEvent) -> None:
    assert negotiation_event_of(message) is event


@pytest.mark.parametrize(
    "message",
    [
        {"@type": "ACCEPTED"},
        {"@type": "ContractNegotiationEventMessage", "eventType": "ContractRequestMessage"},
        {"@type": "ContractNegotiationEventMessage"},
        {"@type": "TransferStartMessage"},
        {},
    ],
)
def test_message_that_is_no_negotiation_event_is_invalid_input(message: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        negotiation_event_of(message)
