"""Asynchronous answers to RequestCreatedEvents: a worker thread that POSTs the reply to the requester's host.

PACT v3 §RequestCreatedEvent: after a 200 the data owner MUST later send exactly one RequestFulfilledEvent or
RequestRejectedEvent; an undeliverable event SHOULD be retried with exponential back-off and abandoned after
72 hours. The reply goes to `<requester>/3/events` with a token from the requester's own token endpoint.

Where a reply may go is an allow-list (`Recipient`s found by the event `source` and the authenticated
caller), never the raw `source` of an incoming event: otherwise any caller could make this host POST
footprints to a URL of its choosing.

The schedule (back-off, deadline, when to give up) is the pure state machine of `outbox`; every step of it
is written to an `OutboxStore` before the next one, so a host whose store is durable (the node's
``app_documents``) resumes its pending replies after a restart with their attempt count and deadline.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

import httpx

from battrace.apps.pcf.pact.client import PactClient, PactClientError
from battrace.apps.pcf.pact.outbox import (
    MAX_AGE,
    Backoff,
    Delivery,
    InMemoryOutbox,
    OutboxStore,
    Outcome,
    State,
    after_attempt,
    new_delivery,
)
from battrace.clock import Clock

log = logging.getLogger("battrace.pact")
__all__ = ["MAX_AGE", "CallbackDispatcher", "Recipient", "RecipientDirectory", "StaticRecipients"]


@dataclass(frozen=True)
class Recipient:
    """A data recipient's PACT host and the credentials this host holds *at* that host.

    `source` is the CloudEvents `source` the recipient puts in its requests; `client_id`, if given, is the
    client id the recipient uses at *this* host, so that nobody else can name its `source`.
    """

    source: str
    base_url: str
    username: str
    password: str
    client_id: str | None = None
    auth_base_url: str | None = None

    @property
    def key(self) -> str:
        """How a stored delivery names its recipient: the client id, else the normalised source."""
        return self.client_id if self.client_id is not None else normal_source(self.source)


def normal_source(source: str) -> str:
    return source.strip().rstrip("/")


@runtime_checkable
class RecipientDirectory(Protocol):
    """The allow-list of reply endpoints."""

    def recipient_for(self, source: str, caller: str) -> Recipient | None:
        """The registered recipient behind an event's `source`, if `caller` may speak for it."""
        ...

    def by_key(self, key: str) -> Recipient | None:
        """The recipient a stored delivery names (``Recipient.key``), if it is still registered."""
        ...


class StaticRecipients:
    """A fixed list of recipients keyed by their `source`."""

    def __init__(self, recipients: Iterable[Recipient]) -> None:
        self._by_source = {normal_source(r.source): r for r in recipients}
        self._by_key = {r.key: r for r in self._by_source.values()}

    def recipient_for(self, source: str, caller: str) -> Recipient | None:
        recipient = self._by_source.get(normal_source(source))
        if recipient is None or (recipient.client_id is not None and recipient.client_id != caller):
            return None
        return recipient

    def by_key(self, key: str) -> Recipient | None:
        return self._by_key.get(key)


class CallbackDispatcher:
    """Delivers reply events in the background; `wait_idle` tells when the queue is drained."""

    def __init__(
        self,
        recipients: Iterable[Recipient] | RecipientDirectory,
        *,
        clock: Clock,
        http: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=30.0),
        base_delay: float = 1.0,
        max_delay: float = 3600.0,
        max_age: timedelta = MAX_AGE,
        outbox: OutboxStore | None = None,
    ) -> None:
        self._recipients = (
            recipients if isinstance(recipients, RecipientDirectory) else StaticRecipients(recipients)
        )
        self._clock = clock
        self._http = http
        self._backoff = Backoff(base_delay, max_delay, max_age)
        self._jitter = random.Random()  # its own generator: the worker thread leaves the global one alone
        self._outbox: OutboxStore = outbox if outbox is not None else InMemoryOutbox()
        # `resume` takes only deliveries older than this dispatcher: newer ones were recorded by a live
        # dispatcher (this one, or another worker process of the same node) that keeps them in its queue.
        self._born = clock()
        # (monotonic due, seq, event id); the delivery and its recipient live in _jobs
        self._heap: list[tuple[float, int, str]] = []
        self._jobs: dict[str, tuple[Delivery, Recipient]] = {}
        self._seq = itertools.count()
        self._busy = 0
        self._reserved = 0
        self._cv = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        # The last events delivered and given up on, for operators and tests.
        self.delivered: deque[dict[str, Any]] = deque(maxlen=1000)
        self.abandoned: deque[dict[str, Any]] = deque(maxlen=1000)

    def recipient_for(self, source: str, caller: str) -> Recipient | None:
        """The registered recipient behind an event's `source`, if `caller` may speak for it."""
        return self._recipients.recipient_for(source, caller)

    def reserve(self) -> None:
        """Announce a reply that is still being computed, so that `wait_idle` waits for it too."""
        with self._cv:
            self._reserved += 1

    def release(self) -> None:
        """Withdraw a `reserve` whose reply will not come (its computation failed)."""
        with self._cv:
            self._reserved -= 1
            self._cv.notify_all()

    def record(self, recipient: Recipient, event: dict[str, Any]) -> Delivery:
        """Write a reply to the outbox without sending it yet (`send` does, `resume` after a restart)."""
        delivery = new_delivery(event, recipient.key, now=self._clock(), backoff=self._backoff)
        self._outbox.save(delivery)
        return delivery

    def send(self, delivery: Delivery, recipient: Recipient, *, reserved: bool = False) -> None:
        """Queue a recorded reply for delivery now."""
        with self._cv:
            self._reserved -= 1 if reserved else 0
            self._push(delivery, recipient, time.monotonic())
            self._cv.notify_all()

    def submit(self, recipient: Recipient, event: dict[str, Any], *, reserved: bool = False) -> None:
        """`record` and `send` in one step."""
        try:
            delivery = self.record(recipient, event)
        except Exception:
            if reserved:
                self.release()
            raise
        self.send(delivery, recipient, reserved=reserved)

    def resume(self) -> int:
        """Queue every pending delivery of the outbox recorded before this dispatcher existed (left over from
        before a restart) at its stored due time; a delivery whose recipient is no longer registered is given
        up. Returns how many were queued. A node's workers resume in one elected process only."""
        queued = 0
        for delivery in self._outbox.pending():
            if delivery.created > self._born:
                continue
            recipient = self._recipients.by_key(delivery.recipient)
            if recipient is None:
                log.warning("PACT event %s: recipient %s is gone", delivery.event_id, delivery.recipient)
                self._finish(delivery, abandon_unregistered=True)
                continue
            wait = max(0.0, (delivery.due - self._clock()).total_seconds())
            with self._cv:
                if delivery.event_id in self._jobs:
                    continue
                self._push(delivery, recipient, time.monotonic() + wait)
                self._cv.notify_all()
            queued += 1
        return queued

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued or being sent (jobs waiting for a retry count as queued)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._heap or self._busy or self._reserved:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cv.wait(remaining)
            return True

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _push(self, delivery: Delivery, recipient: Recipient, due: float) -> None:
        """Under the lock: queue a job and make sure the worker runs."""
        self._jobs[delivery.event_id] = (delivery, recipient)
        heapq.heappush(self._heap, (due, next(self._seq), delivery.event_id))
        if self._thread is None and not self._stopping:
            self._thread = threading.Thread(target=self._run, name="pact-callbacks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._next_due()
            if job is None:
                return
            delivery, recipient = job
            outcome = self._deliver(delivery, recipient)
            after = after_attempt(
                delivery,
                outcome,
                now=self._clock(),
                backoff=self._backoff,
                jitter=self._jitter.uniform(0.5, 1.0),
            )
            self._save(after)
            with self._cv:
                self._busy -= 1
                if after.state is State.PENDING:
                    wait = max(0.0, (after.due - self._clock()).total_seconds())
                    self._push(after, recipient, time.monotonic() + wait)
                else:
                    self._jobs.pop(after.event_id, None)
                    self._note(after)
                self._cv.notify_all()

    def _next_due(self) -> tuple[Delivery, Recipient] | None:
        with self._cv:
            while not self._stopping:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    _, _, event_id = heapq.heappop(self._heap)
                    job = self._jobs.get(event_id)
                    if job is None:
                        continue  # queued twice and already finished
                    self._busy += 1
                    return job
                self._cv.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
            return None

    def _finish(self, delivery: Delivery, *, abandon_unregistered: bool) -> None:
        if abandon_unregistered:
            delivery = replace(delivery, state=State.ABANDONED)
        self._save(delivery)
        self._note(delivery)

    def _note(self, delivery: Delivery) -> None:
        if delivery.state is State.DELIVERED:
            self.delivered.append(delivery.event)
        elif delivery.state is State.ABANDONED:
            log.warning("PACT event %s to %s abandoned", delivery.event_id, delivery.recipient)
            self.abandoned.append(delivery.event)

    def _save(self, delivery: Delivery) -> None:
        try:
            self._outbox.save(delivery)
        except Exception:
            # the attempt happened; if its record is lost the reply may be sent again after a restart,
            # which recipients must tolerate anyway (CloudEvents: source + id identify an event)
            log.exception("PACT event %s: could not record its state", delivery.event_id)

    def _deliver(self, delivery: Delivery, r: Recipient) -> Outcome:
        """DELIVERED; FAILED: try again later; REFUSED: for good (a 4xx other than 401/408/429)."""
        event = delivery.event
        try:
            with PactClient(
                r.base_url, r.username, r.password, auth_base_url=r.auth_base_url, http=self._http()
            ) as c:
                c.send_event(event)
            return Outcome.DELIVERED
        except PactClientError as error:
            log.warning("PACT event %s to %s failed: %s", event.get("id"), r.base_url, error.detail)
            permanent = 400 <= error.http_status < 500 and error.http_status not in (401, 408, 429)
            return Outcome.REFUSED if permanent else Outcome.FAILED
        except httpx.HTTPError as error:
            log.warning("PACT event %s to %s failed: %s", event.get("id"), r.base_url, error)
            return Outcome.FAILED
        except Exception:  # a bug here must not end the worker and strand every later reply
            log.exception("PACT event %s to %s failed", event.get("id"), r.base_url)
            return Outcome.FAILED
