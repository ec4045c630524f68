"""Batched appends for high-rate events that change no state (data-plane reads).

A DSP message is logged in the same transaction as the state change it causes. A data-plane read changes
nothing, and one write transaction per read would double its cost (the data plane is the hot path: Catena-X
asks ≤ 1 s per call, we aim for a few ms). Reads are therefore queued and appended in one transaction every
`interval` or every `max_batch` events, whichever comes first. The cost of a crash is bounded: at most one
interval of read records; `stop()` flushes what is queued.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from battrace.ledger.log import TransparencyLog

log = logging.getLogger("battrace.ledger")


class BatchedAppender:
    def __init__(
        self, transparency_log: TransparencyLog, *, interval: float = 0.05, max_batch: int = 1000
    ) -> None:
        self._log = transparency_log
        self._interval = interval
        self._max_batch = max_batch
        self._queue: list[tuple[str, Mapping[str, Any]]] = []
        self._lock = threading.Lock()
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="battrace-log-batch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, kind: str, event: Mapping[str, Any]) -> None:
        with self._lock:
            self._queue.append((kind, dict(event)))
            full = len(self._queue) >= self._max_batch
        if full:
            self._due.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def stop(self) -> None:
        self._stopping.set()
        self._due.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.flush()

    def flush(self) -> int:
        with self._lock:
            batch, self._queue = self._queue, []
        if batch:
            try:
                self._log.append_many(batch)
            except Exception:
                with self._lock:  # keep the records for the next round, in their order
                    self._queue[:0] = batch
                raise
        return len(batch)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._due.wait(timeout=self._interval)
            self._due.clear()
            try:
                self.flush()
            except Exception:  # e.g. the database is briefly unavailable; the next round retries the batch
                log.exception("could not append a batch of data-plane records to the transparency log")
