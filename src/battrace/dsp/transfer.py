"""DSP 2025-1 Transfer Process state machine as an explicit table.

Source: the 2025-1 transfer process state diagram (research/dataspace-protocol.md §4.1), cross-checked
against every TP and TP_C case of the DSP TCK. Refused, and tested negatively by the TCK:
REQUESTED→COMPLETED (TP:03-01), REQUESTED→SUSPENDED (TP:03-02), SUSPENDED→COMPLETED (TP:03-03) and
anything after TERMINATED (TP:03-04..06). Only the provider starts a transfer; either side may resume a
suspended one with a TransferStartMessage.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from battrace.dsp._machine import step
from battrace.dsp.states import InvalidTransition, Role, TransferEvent, TransferState, is_terminal
from battrace.errors import InvalidInput

__all__ = [
    "TRANSFER_TRANSITIONS", "InvalidTransition", "is_terminal", "next_transfer_state", "transfer_event_of",
]

_S = TransferState
_E = TransferEvent
_C = Role.CONSUMER
_P = Role.PROVIDER
_BOTH = (_C, _P)

_SPEC = "DSP 2025-1 Transfer Process state machine"

TRANSFER_TRANSITIONS: Mapping[TransferState | None, Mapping[tuple[TransferEvent, Role], TransferState]]
TRANSFER_TRANSITIONS = MappingProxyType({
    None: MappingProxyType({(_E.REQUEST, _C): _S.REQUESTED}),
    _S.REQUESTED: MappingProxyType({
        (_E.START, _P): _S.STARTED,  # carries the dataAddress (EDR) for pull transfers
        **{(_E.TERMINATE, r): _S.TERMINATED for r in _BOTH},
    }),
    _S.STARTED: MappingProxyType({
        **{(_E.COMPLETE, r): _S.COMPLETED for r in _BOTH},
        **{(_E.SUSPEND, r): _S.SUSPENDED for r in _BOTH},
        **{(_E.TERMINATE, r): _S.TERMINATED for r in _BOTH},
    }),
    _S.SUSPENDED: MappingProxyType({
        **{(_E.START, r): _S.STARTED for r in _BOTH},  # resume, by either side (TCK TP:01-04, TP:02-04)
        **{(_E.TERMINATE, r): _S.TERMINATED for r in _BOTH},
    }),
    _S.COMPLETED: MappingProxyType({}),
    _S.TERMINATED: MappingProxyType({}),
})


def next_transfer_state(current: TransferState | None, event: TransferEvent, sender: Role) -> TransferState:
    """The state after ``sender`` sends ``event`` in ``current`` (None = no transfer yet).

    Raises InvalidTransition (400) when the table has no such edge.
    """
    return step(TRANSFER_TRANSITIONS, current, event, sender, _SPEC)


def transfer_event_of(message: Mapping[str, Any]) -> TransferEvent:
    """The event a (validated) transfer message represents, from its ``@type``."""
    kind = message.get("@type")
    if isinstance(kind, str) and kind in _MESSAGE_TYPES:
        return _MESSAGE_TYPES[kind]
    raise InvalidInput(f"{kind!r} is not a transfer process message")


_MESSAGE_TYPES = {e.value: e for e in _E}
