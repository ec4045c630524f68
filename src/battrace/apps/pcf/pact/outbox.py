"""The schedule of reply events still to deliver: pure back-off and deadline rules, and where they are kept.

PACT v3 §RequestCreatedEvent: the data owner answers a request with exactly one RequestFulfilledEvent or
RequestRejectedEvent; an undeliverable event SHOULD be retried with exponential back-off and abandoned after
72 hours. A ``Delivery`` is one such reply on its way; ``after_attempt`` is the whole state machine:

    state     outcome of an attempt           next state
    PENDING   DELIVERED (2xx)                 DELIVERED
    PENDING   REFUSED (4xx but 401/408/429)   ABANDONED   the recipient will never take it
    PENDING   FAILED, deadline not reached    PENDING     attempt + 1, due after the back-off
    PENDING   FAILED, deadline reached        ABANDONED

Times are the clock's (``datetime``), so a schedule written to storage means the same after a restart.
No I/O here: ``OutboxStore`` is what keeps deliveries (``InMemoryOutbox`` here, the node's in
``app_documents``); the dispatcher in ``callbacks`` does the HTTP.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

MAX_AGE = timedelta(hours=72)


class State(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    ABANDONED = "abandoned"


class Outcome(StrEnum):
    DELIVERED = "delivered"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt n+1: min(base · 2^n, max) seconds, times a jitter factor in [0.5, 1]."""

    base_seconds: float = 1.0
    max_seconds: float = 3600.0
    max_age: timedelta = MAX_AGE

    def delay(self, attempt: int, jitter: float) -> timedelta:
        capped = min(self.base_seconds * 2 ** min(attempt, 62), self.max_seconds)
        return timedelta(seconds=capped * min(max(jitter, 0.5), 1.0))


@dataclass(frozen=True)
class Delivery:
    """One reply event for one recipient (``recipient`` names it in the sender's directory)."""

    event_id: str
    recipient: str
    event: dict[str, Any]
    created: datetime
    deadline: datetime
    due: datetime
    attempt: int = 0
    state: State = State.PENDING

    def to_json(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "recipient": self.recipient,
            "event": self.event,
            "created": self.created.isoformat(),
            "deadline": self.deadline.isoformat(),
            "due": self.due.isoformat(),
            "attempt": self.attempt,
            "state": self.state.value,
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Delivery:
        return cls(
            event_id=str(body["eventId"]),
            recipient=str(body["recipient"]),
            event=dict(body["event"]),
            created=datetime.fromisoformat(body["created"]),
            deadline=datetime.fromisoformat(body["deadline"]),
            due=datetime.fromisoformat(body["due"]),
            attempt=int(body["attempt"]),
            state=State(body["state"]),
        )


def new_delivery(
    event: dict[str, Any], recipient: str, *, now: datetime, backoff: Backoff = Backoff()
) -> Delivery:
    """A reply to send now, to be given up ``backoff.max_age`` from now."""
    return Delivery(
        event_id=str(event["id"]),
        recipient=recipient,
        event=event,
        created=now,
        deadline=now + backoff.max_age,
        due=now,
    )


def after_attempt(
    delivery: Delivery, outcome: Outcome, *, now: datetime, backoff: Backoff, jitter: float
) -> Delivery:
    """The delivery after one attempt (the table in the module docstring)."""
    if delivery.state is not State.PENDING:
        raise ValueError(f"delivery {delivery.event_id} is {delivery.state.value}, not pending")
    if outcome is Outcome.DELIVERED:
        return replace(delivery, state=State.DELIVERED, attempt=delivery.attempt + 1)
    if outcome is Outcome.REFUSED or now >= delivery.deadline:
        return replace(delivery, state=State.ABANDONED, attempt=delivery.attempt + 1)
    due = now + backoff.delay(delivery.attempt, jitter)
    return replace(delivery, attempt=delivery.attempt + 1, due=due)


class OutboxStore(Protocol):
    """Where deliveries are kept: pending ones survive a restart; finished ones stay as a record."""

    def save(self, delivery: Delivery) -> None:
        """Create or replace the delivery with this event id (whatever its state)."""
        ...

    def pending(self) -> list[Delivery]: ...


class InMemoryOutbox:
    """Deliveries in a dict: what a host without storage uses (they are lost when the process ends)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Delivery] = {}

    def save(self, delivery: Delivery) -> None:
        with self._lock:
            self._items[delivery.event_id] = delivery

    def pending(self) -> list[Delivery]:
        with self._lock:
            return [d for d in self._items.values() if d.state is State.PENDING]

    def get(self, event_id: str) -> Delivery | None:
        with self._lock:
            return self._items.get(event_id)
