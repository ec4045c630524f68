"""Batched appends of data-plane records: nothing queued is lost on stop, a failed batch is kept in order."""

from __future__ import annotations

import time

import pytest

from battrace.errors import InvalidInput
from battrace.ledger.batch import BatchedAppender
from battrace.ledger.log import MAX_ENTRIES, TransparencyLog
from battrace.store import Store

from .test_log import ORIGIN, T0, signer


def kinds_and_numbers(log: TransparencyLog) -> list[tuple[str, int]]:
    return [(e.kind, int(e.payload["n"])) for e in log.entries(0, MAX_ENTRIES)]


def test_queued_records_are_appended_in_order_by_the_background_flush(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    appender = BatchedAppender(log, interval=0.01)
    appender.start()
    for n in range(25):
        appender.submit("dataplane.access", {"n": n})
    deadline = time.monotonic() + 5
    while log.size() < 25 and time.monotonic() < deadline:
        time.sleep(0.01)
    appender.stop()
    assert kinds_and_numbers(log) == [("dataplane.access", n) for n in range(25)]


def test_stop_flushes_what_is_still_queued(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    appender = BatchedAppender(log, interval=60)  # never flushes on its own during the test
    appender.start()
    appender.submit("dataplane.access", {"n": 1})
    appender.stop()
    assert kinds_and_numbers(log) == [("dataplane.access", 1)]


def test_a_failed_batch_stays_queued_in_order(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    appender = BatchedAppender(log)
    appender.submit("dataplane.access", {"n": 1, "v": "reserved field: refused"})  # makes append_many fail
    appender.submit("dataplane.access", {"n": 2})
    with pytest.raises(InvalidInput):
        appender.flush()
    assert log.size() == 0
    assert appender.pending() == 2  # nothing dropped: the records wait for the next round
