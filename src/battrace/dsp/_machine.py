"""One table lookup shared by the negotiation and transfer machines (h11 style: one lookup, one error)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from battrace.dsp.states import (
    InvalidTransition,
    NegotiationEvent,
    NegotiationState,
    Role,
    TransferEvent,
    TransferState,
    is_terminal,
)

S = TypeVar("S", NegotiationState, TransferState)
E = TypeVar("E", NegotiationEvent, TransferEvent)

Table = Mapping[S | None, Mapping[tuple[E, Role], S]]


def step(table: Table[S, E], current: S | None, event: E, sender: Role, spec: str) -> S:
    """The next state, or InvalidTransition whose rule is derived from the table itself."""
    row = table.get(current, {})
    nxt = row.get((event, sender))
    if nxt is not None:
        return nxt
    raise InvalidTransition(current, event, sender, f"{_rule(table, current, event, sender)} ({spec})")


def _rule(table: Table[S, E], current: S | None, event: E, sender: Role) -> str:
    if current is not None and is_terminal(current):
        return f"{current.value} is terminal; no message is allowed after a terminal state"
    if not any((event, sender) in r for r in table.values()):
        return f"the {sender.value.lower()} never sends {event.value}"
    row = table.get(current, {})
    if (event, sender.other) in row:
        return f"only the {sender.other.value.lower()} sends {event.value} here"
    allowed = ", ".join(f"{e.value} by {r.value.lower()}" for e, r in row) or "nothing"
    return f"allowed here: {allowed}"
