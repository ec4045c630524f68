"""DSP 2025-1 Contract Negotiation state machine as an explicit table.

Source: the normative diagram ``figures/contract.negotiation.state.machine.puml`` of the 2025-1 spec
(research/dataspace-protocol.md §3.1), cross-checked against every CN and CN_C case of the DSP TCK
(``tests/fixtures/dsp/tck/test-cases.json``). Where the prose ("termination MAY be sent at any state")
and the diagram disagree we follow the diagram, as the TCK does (CN:03-01 refuses termination after
FINALIZED).

Both parties hold the same state; a state is entered when the counter-party acknowledges the message.
The table is keyed by the *sender* of the message, so the same lookup serves the outbound check (I am
about to send) and the inbound check (the peer sent this).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from battrace.dsp._machine import step
from battrace.dsp.states import InvalidTransition, NegotiationEvent, NegotiationState, Role, is_terminal
from battrace.errors import InvalidInput

__all__ = [
    "NEGOTIATION_TRANSITIONS",
    "InvalidTransition",
    "is_terminal",
    "negotiation_event_of",
    "next_negotiation_state",
]

_S = NegotiationState
_E = NegotiationEvent
_C = Role.CONSUMER
_P = Role.PROVIDER

_SPEC = "DSP 2025-1 Contract Negotiation state machine"

NegotiationTable = Mapping[NegotiationState | None, Mapping[tuple[NegotiationEvent, Role], NegotiationState]]

NEGOTIATION_TRANSITIONS: NegotiationTable
NEGOTIATION_TRANSITIONS = MappingProxyType({
    None: MappingProxyType({
        (_E.REQUEST, _C): _S.REQUESTED,   # initial ContractRequestMessage (callbackAddress, no providerPid)
        (_E.OFFER, _P): _S.OFFERED,       # provider-initiated ContractOfferMessage
    }),
    _S.REQUESTED: MappingProxyType({
        (_E.OFFER, _P): _S.OFFERED,       # counter-offer
        (_E.AGREE, _P): _S.AGREED,        # provider agrees at once (the usual EDC path, TCK CN:01-04)
        (_E.TERMINATE, _C): _S.TERMINATED,
        (_E.TERMINATE, _P): _S.TERMINATED,
        # A second ContractRequestMessage while REQUESTED is refused (TCK CN:03-04, "counter-offer (x2)").
    }),
    _S.OFFERED: MappingProxyType({
        (_E.REQUEST, _C): _S.REQUESTED,   # counter-request (carries providerPid)
        (_E.ACCEPT, _C): _S.ACCEPTED,
        (_E.TERMINATE, _C): _S.TERMINATED,
        (_E.TERMINATE, _P): _S.TERMINATED,
    }),
    _S.ACCEPTED: MappingProxyType({
        (_E.AGREE, _P): _S.AGREED,
        (_E.TERMINATE, _P): _S.TERMINATED,
    }),
    _S.AGREED: MappingProxyType({
        (_E.VERIFY, _C): _S.VERIFIED,
        (_E.TERMINATE, _C): _S.TERMINATED,
    }),
    _S.VERIFIED: MappingProxyType({
        (_E.FINALIZE, _P): _S.FINALIZED,
        (_E.TERMINATE, _P): _S.TERMINATED,
    }),
    _S.FINALIZED: MappingProxyType({}),
    _S.TERMINATED: MappingProxyType({}),
})


def next_negotiation_state(
    current: NegotiationState | None, event: NegotiationEvent, sender: Role
) -> NegotiationState:
    """The state after ``sender`` sends ``event`` in ``current`` (None = no negotiation yet).

    Raises InvalidTransition (400) when the table has no such edge, e.g. the consumer sending FINALIZED,
    the provider sending ACCEPTED, anything after FINALIZED/TERMINATED.
    """
    return step(NEGOTIATION_TRANSITIONS, current, event, sender, _SPEC)


def negotiation_event_of(message: Mapping[str, Any]) -> NegotiationEvent:
    """The event a (validated) negotiation message represents: its ``@type``, or its ``eventType``."""
    kind = message.get("@type")
    if kind == "ContractNegotiationEventMessage":
        event_type = message.get("eventType")
        if event_type in _EVENT_TYPES:
            return _EVENT_TYPES[event_type]
    elif kind in _MESSAGE_TYPES:
        return _MESSAGE_TYPES[kind]
    raise InvalidInput(f"{kind!r} is not a contract negotiation message with a known event")


_EVENT_TYPES = {"ACCEPTED": _E.ACCEPT, "FINALIZED": _E.FINALIZE}
_MESSAGE_TYPES = {e.value: e for e in _E if e not in (_E.ACCEPT, _E.FINALIZE)}
