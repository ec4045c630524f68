"""Asynchronous answers to RequestCreatedEvents: a worker thread that POSTs the reply to the requester's host.

PACT v3 §RequestCreatedEvent: after a 200 the data owner MUST later send exactly one RequestFulfilledEvent or
RequestRejectedEvent; an undeliverable event SHOULD be retried with exponential back-off and abandoned after
72 hours. The reply goes to `<requester>/3/events` with a token from the requester's own token endpoint.

Where a reply may go is an allow-list (`Recipient`s keyed by the event `source`), never the raw `source` of an
incoming event: otherwise any caller could make this host POST footprints to a URL of its choosing.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from battrace.apps.pcf.pact.client import PactClient, PactClientError
from battrace.clock import Clock

log = logging.getLogger("battrace.pact")
MAX_AGE = timedelta(hours=72)


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


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    recipient: Recipient = field(compare=False)
    event: dict[str, Any] = field(compare=False)
    first_try: datetime = field(compare=False)
    attempt: int = field(default=0, compare=False)


def _normal(source: str) -> str:
    return source.strip().rstrip("/")


class CallbackDispatcher:
    """Delivers reply events in the background; `wait_idle` tells when the queue is drained."""

    def __init__(
        self,
        recipients: Iterable[Recipient],
        *,
        clock: Clock,
        http: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=30.0),
        base_delay: float = 1.0,
        max_delay: float = 3600.0,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        self._recipients: Mapping[str, Recipient] = {_normal(r.source): r for r in recipients}
        self._clock = clock
        self._http = http
        self._base_delay, self._max_delay, self._max_age = base_delay, max_delay, max_age
        self._heap: list[_Job] = []
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
        recipient = self._recipients.get(_normal(source))
        if recipient is None or (recipient.client_id is not None and recipient.client_id != caller):
            return None
        return recipient

    def reserve(self) -> None:
        """Announce a reply that is still being computed, so that `wait_idle` waits for it too."""
        with self._cv:
            self._reserved += 1

    def release(self) -> None:
        """Withdraw a `reserve` whose reply will not come (its computation failed)."""
        with self._cv:
            self._reserved -= 1
            self._cv.notify_all()

    def submit(self, recipient: Recipient, event: dict[str, Any], *, reserved: bool = False) -> None:
        with self._cv:
            self._reserved -= 1 if reserved else 0
            self._ensure_started()
            heapq.heappush(
                self._heap, _Job(time.monotonic(), next(self._seq), recipient, event, self._clock())
            )
            self._cv.notify_all()

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

    def _ensure_started(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pact-callbacks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._next_due()
            if job is None:
                return
            ok = self._deliver(job)
            with self._cv:
                self._busy -= 1
                self._after(job, ok)
                self._cv.notify_all()

    def _next_due(self) -> _Job | None:
        with self._cv:
            while not self._stopping:
                if self._heap and self._heap[0].due <= time.monotonic():
                    self._busy += 1
                    return heapq.heappop(self._heap)
                self._cv.wait(self._heap[0].due - time.monotonic() if self._heap else None)
            return None

    def _after(self, job: _Job, ok: bool | None) -> None:
        if ok:
            self.delivered.append(job.event)
        elif ok is None or self._clock() - job.first_try >= self._max_age:
            log.warning("PACT event %s to %s abandoned", job.event.get("id"), job.recipient.base_url)
            self.abandoned.append(job.event)
        else:
            delay = min(self._base_delay * 2**job.attempt, self._max_delay) * random.uniform(0.5, 1.0)
            job.due, job.seq, job.attempt = time.monotonic() + delay, next(self._seq), job.attempt + 1
            heapq.heappush(self._heap, job)

    def _deliver(self, job: _Job) -> bool | None:
        """True: delivered; False: try again later; None: refused for good (a 4xx other than 401/429)."""
        r = job.recipient
        try:
            with PactClient(
                r.base_url, r.username, r.password, auth_base_url=r.auth_base_url, http=self._http()
            ) as c:
                c.send_event(job.event)
            return True
        except PactClientError as error:
            log.warning("PACT event %s to %s failed: %s", job.event.get("id"), r.base_url, error.detail)
            permanent = 400 <= error.http_status < 500 and error.http_status not in (401, 408, 429)
            return None if permanent else False
        except httpx.HTTPError as error:
            log.warning("PACT event %s to %s failed: %s", job.event.get("id"), r.base_url, error)
            return False
