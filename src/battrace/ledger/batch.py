"""Group commit for high-rate events that change no state (data-plane reads, refusals, denials).

A DSP message is logged in the same transaction as the state change it causes. A data-plane read changes
nothing, and one write transaction per read would double its cost (the data plane is the hot path: Catena-X
asks ≤ 1 s per call, we aim for a few ms). Yet a data-space operator must be able to prove every read, so a
read's record has to be durable *before* its data leaves (issue 9: a SIGKILL used to drop up to one 50 ms
interval of records whose data had already been served).

Classic group commit: `enqueue` queues a record and returns a `Ticket`; one background thread commits whatever
is queued in one transaction as soon as anything is there (no timer), then settles every ticket of that batch.
Records arriving while a batch commits go into the next one, so a lone read waits for one commit and many
concurrent reads share one. A caller that must not go on before its record is durable calls `Ticket.wait()`,
which raises `RecordNotCommitted` (503) when the batch failed; the data plane waits for its access records.
Callers that may lose a record to a crash (refusals, denials, claim records: they release no data) use
`submit`, which does not wait. A failed batch is dropped, not retried: its waiters have been told (and
released nothing), and keeping their records would log accesses that never happened; the fire-and-forget
records of that batch are lost with it (logged). A waiter gives up after 30 s (503); its record may still
commit afterwards, so the log can name a read whose data never left, never the reverse. `stop()` commits
what is still queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from battrace.errors import BattraceError
from battrace.ledger.log import TransparencyLog

log = logging.getLogger("battrace.ledger")


class RecordNotCommitted(BattraceError):
    """The batch holding a record did not commit: whatever that record was to prove must not happen."""

    status: ClassVar[int] = 503
    title: ClassVar[str] = "Service unavailable"


class Ticket:
    """One queued record's fate: set once its batch has committed or failed."""

    def __init__(self) -> None:
        self._settled = threading.Event()
        self._error: BaseException | None = None

    def settle(self, error: BaseException | None = None) -> None:
        self._error = error
        self._settled.set()

    @property
    def done(self) -> bool:
        return self._settled.is_set()

    def wait(self, timeout: float | None = 30.0) -> None:
        """Return once the record is committed; `RecordNotCommitted` if its batch failed or took too long."""
        if not self._settled.wait(timeout):
            raise RecordNotCommitted("the transparency log did not commit the access record in time")
        if self._error is not None:
            raise RecordNotCommitted("the transparency log could not record this access") from self._error


_Queued = tuple[str, Mapping[str, Any], Ticket]


class BatchedAppender:
    def __init__(
        self, transparency_log: TransparencyLog, *, max_batch: int = 1000, retry_pause: float = 0.05
    ) -> None:
        self._log = transparency_log
        self._max_batch = max_batch
        self._retry_pause = retry_pause  # after a failed batch: a database that is down is not hammered
        self._queue: list[_Queued] = []
        self._ready = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="battrace-log-batch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def enqueue(self, kind: str, event: Mapping[str, Any]) -> Ticket:
        """Queue one record; its ticket is settled when the batch holding it has committed (or failed)."""
        ticket = Ticket()
        with self._ready:
            self._queue.append((kind, dict(event), ticket))
            self._ready.notify()
        # Not started or already stopped: nobody else would settle the ticket. (While the thread stops,
        # `stop()` commits the queue after joining it, so a record queued before that join is not lost.)
        if not self._thread.is_alive():
            self.flush()
        return ticket

    def submit(self, kind: str, event: Mapping[str, Any]) -> None:
        """Queue one record nobody waits for (a refusal, a denial: they release no data)."""
        self.enqueue(kind, event)

    def pending(self) -> int:
        with self._ready:
            return len(self._queue)

    def stop(self) -> None:
        with self._ready:
            self._stopping = True
            self._ready.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.flush()

    def flush(self) -> int:
        """Commit everything queued now, in the caller's thread; how many records were committed."""
        committed = 0
        while batch := self._take():
            if self._commit(batch):
                committed += len(batch)
        return committed

    def _take(self) -> list[_Queued]:
        with self._ready:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        return batch

    def _commit(self, batch: list[_Queued]) -> bool:
        try:
            self._log.append_many((kind, event) for kind, event, _ in batch)
        except Exception as error:  # e.g. the database is unavailable: every waiter learns it, nothing hangs
            log.exception(
                "could not append a batch of %d data-plane records to the transparency log", len(batch)
            )
            for *_, ticket in batch:
                ticket.settle(error)
            return False
        for *_, ticket in batch:
            ticket.settle()
        return True

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._stopping:
                    self._ready.wait()
                if self._stopping:
                    return  # stop() commits the rest in its own thread
            batch = self._take()
            if batch and not self._commit(batch):
                time.sleep(self._retry_pause)
