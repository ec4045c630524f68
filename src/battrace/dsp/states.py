"""States, events and roles of the DSP 2025-1 Contract Negotiation and Transfer Process protocols.

Pure values only; the transition tables live in ``negotiation.py`` and ``transfer.py``.
Event values are the wire names (the message ``@type``, or the ``eventType`` of a
``ContractNegotiationEventMessage``), so an inbound message maps to its event without a lookup table.
"""

from __future__ import annotations

from enum import StrEnum

from battrace.errors import InvalidInput


class Role(StrEnum):
    CONSUMER = "CONSUMER"
    PROVIDER = "PROVIDER"

    @property
    def other(self) -> Role:
        return Role.PROVIDER if self is Role.CONSUMER else Role.CONSUMER


class NegotiationState(StrEnum):
    # Values equal the `state` enum of negotiation/contract-negotiation-schema.json.
    REQUESTED = "REQUESTED"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    AGREED = "AGREED"
    VERIFIED = "VERIFIED"
    FINALIZED = "FINALIZED"
    TERMINATED = "TERMINATED"


class NegotiationEvent(StrEnum):
    REQUEST = "ContractRequestMessage"
    OFFER = "ContractOfferMessage"
    ACCEPT = "ACCEPTED"  # ContractNegotiationEventMessage{eventType: ACCEPTED}
    AGREE = "ContractAgreementMessage"
    VERIFY = "ContractAgreementVerificationMessage"
    FINALIZE = "FINALIZED"  # ContractNegotiationEventMessage{eventType: FINALIZED}
    TERMINATE = "ContractNegotiationTerminationMessage"


class TransferState(StrEnum):
    # Values equal the `state` enum of transfer/transfer-process-schema.json.
    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


class TransferEvent(StrEnum):
    REQUEST = "TransferRequestMessage"
    START = "TransferStartMessage"
    SUSPEND = "TransferSuspensionMessage"
    COMPLETE = "TransferCompletionMessage"
    TERMINATE = "TransferTerminationMessage"


_TERMINAL: frozenset[NegotiationState | TransferState] = frozenset(
    {NegotiationState.FINALIZED, NegotiationState.TERMINATED,
     TransferState.COMPLETED, TransferState.TERMINATED}
)


def is_terminal(state: NegotiationState | TransferState | None) -> bool:
    """FINALIZED/TERMINATED (negotiation) and COMPLETED/TERMINATED (transfer) accept no further message."""
    return state in _TERMINAL


class InvalidTransition(InvalidInput):
    """A message that the DSP state machine does not allow in the current state (a 400 at the edge).

    DSP 2025-1 (Contract Negotiation / Transfer Process, HTTPS binding): a message that would cause an
    invalid state transition MUST be answered with 400 and an error body.
    """

    def __init__(
        self,
        current: NegotiationState | TransferState | None,
        event: NegotiationEvent | TransferEvent,
        sender: Role,
        rule: str,
    ) -> None:
        where = "before any process exists" if current is None else f"in state {current.value}"
        super().__init__(
            f"{sender.value} may not send {event.value} {where}: {rule}",
            current_state=None if current is None else current.value,
            event=event.value,
            sender=sender.value,
        )
        self.current = current
        self.event = event
        self.sender = sender
        self.rule = rule
