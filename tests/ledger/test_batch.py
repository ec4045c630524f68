"""Group commit of data-plane records (battrace.ledger.batch): a record's ticket is settled only once the
batch holding it has committed, records queued during a commit share the next one, a failed batch fails every
waiter and logs nothing, and stop commits what is still queued."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from battrace.ledger.batch import BatchedAppender, RecordNotCommitted
from battrace.ledger.log import MAX_ENTRIES, TransparencyLog
from battrace.store import Store

from .test_log import ORIGIN, T0, signer


class GatedLog(TransparencyLog):
    """The real log, whose first batch waits for `gate` once it has started (a commit that takes long)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, signer(), origin=ORIGIN, clock=lambda: T0)
        self.gate = threading.Event()
        self.started = threading.Event()
        self.batches: list[int] = []

    def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> range:
        batch = list(items)
        self.batches.append(len(batch))
        self.started.set()
        assert self.gate.wait(10)
        return super().append_many(batch)


def kinds_and_numbers(log: TransparencyLog) -> list[tuple[str, int]]:
    return [(e.kind, int(e.payload["n"])) for e in log.entries(0, MAX_ENTRIES)]


def test_each_ticket_is_settled_once_its_record_is_committed_in_order(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    appender = BatchedAppender(log)
    appender.start()
    tickets = [appender.enqueue("dataplane.access", {"n": n}) for n in range(25)]
    for ticket in tickets:
        ticket.wait()
    committed = kinds_and_numbers(log)  # read before stop: waiting alone guarantees durability
    appender.stop()
    assert committed == [("dataplane.access", n) for n in range(25)]


def test_a_ticket_is_not_settled_before_its_batch_commits(store: Store) -> None:
    log = GatedLog(store)
    appender = BatchedAppender(log)
    appender.start()
    ticket = appender.enqueue("dataplane.access", {"n": 1})
    assert log.started.wait(10)
    assert not ticket.done and log.size() == 0  # the commit is under way: the reader must still wait
    log.gate.set()
    ticket.wait()
    assert log.size() == 1
    appender.stop()


def test_records_queued_while_a_batch_commits_share_the_next_commit(store: Store) -> None:
    log = GatedLog(store)
    appender = BatchedAppender(log)
    appender.start()
    first = appender.enqueue("dataplane.access", {"n": 0})
    assert log.started.wait(10)
    waiting = [appender.enqueue("dataplane.access", {"n": n}) for n in range(1, 11)]
    log.gate.set()
    for ticket in [first, *waiting]:
        ticket.wait()
    appender.stop()
    assert log.batches == [1, 10]  # a lone read waited for one commit; the ten that came meanwhile, one more
    assert kinds_and_numbers(log) == [("dataplane.access", n) for n in range(11)]


def test_concurrent_readers_all_get_durable_records(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    appender = BatchedAppender(log)
    appender.start()

    def reader(offset: int) -> None:
        for n in range(offset, offset + 20):
            appender.enqueue("dataplane.access", {"n": n}).wait()

    threads = [threading.Thread(target=reader, args=(100 * i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    appender.stop()
    numbers = sorted(n for _, n in kinds_and_numbers(log))
    assert numbers == sorted(100 * i + k for i in range(6) for k in range(20))


def test_a_failed_batch_fails_every_waiter_and_logs_nothing(store: Store) -> None:
    log = GatedLog(store)
    appender = BatchedAppender(log, retry_pause=0)
    appender.start()
    blocker = appender.enqueue("dataplane.access", {"n": 0})
    assert log.started.wait(10)
    bad = appender.enqueue("dataplane.access", {"n": 1, "v": "reserved field: refused"})  # fails append_many
    same_batch = appender.enqueue("dataplane.access", {"n": 2})
    log.gate.set()
    blocker.wait()
    for ticket in (bad, same_batch):
        with pytest.raises(RecordNotCommitted) as refused:
            ticket.wait()
        assert refused.value.status == 503
    later = appender.enqueue("dataplane.access", {"n": 3})
    later.wait()  # the appender goes on after a failure
    appender.stop()
    assert kinds_and_numbers(log) == [("dataplane.access", 0), ("dataplane.access", 3)]


def test_stop_commits_what_is_still_queued(store: Store) -> None:
    log = GatedLog(store)
    appender = BatchedAppender(log)
    appender.start()
    first = appender.enqueue("dataplane.access", {"n": 1})
    assert log.started.wait(10)
    queued = appender.enqueue("dataplane.access", {"n": 2})
    stopper = threading.Thread(target=appender.stop)
    stopper.start()
    log.gate.set()
    stopper.join(10)
    assert first.done and queued.done
    assert kinds_and_numbers(log) == [("dataplane.access", 1), ("dataplane.access", 2)]


def test_a_record_submitted_after_stop_is_committed_at_once(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    appender = BatchedAppender(log)
    appender.start()
    appender.stop()
    appender.submit("dataplane.refused", {"n": 7})  # fire-and-forget: nobody waits, still nothing is lost
    assert kinds_and_numbers(log) == [("dataplane.refused", 7)]
    assert appender.pending() == 0
