"""Several processes on one database (`battrace serve --workers N`): outbox leases and the elected process.

Two `Store` objects on one database stand for two worker processes: each has its own engine and pool, so
they meet only in the database, as processes do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from battrace.connector.records import OutboxMessage
from battrace.store import Store
from battrace.store.store import (
    Elected,
    claim_outbox,
    renew_outbox_leases,
    settle_outbox,
)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
LOCK_ID = 0x7465737421  # any id no other test uses


def message(process_id: str = "p-1") -> OutboxMessage:
    return OutboxMessage(
        id=None,
        process_kind="negotiation",
        process_id=process_id,
        message_type="ContractRequestMessage",
        url="https://peer.example/dsp",
        body={"n": 1},
        audience_did="did:web:peer.example",
        attempts=0,
        next_attempt_at=T0,
        created_at=T0,
    )


def enqueued(store: Store) -> int:
    with store.transaction() as tx:
        return tx.enqueue(message())


def test_a_due_message_is_leased_to_one_claimer_only(store: Store) -> None:
    message_id = enqueued(store)
    with store.transaction() as tx:
        assert claim_outbox(tx, message_id, T0, T0 + LEASE)
    with store.transaction() as tx:
        assert not claim_outbox(tx, message_id, T0 + timedelta(seconds=1), T0 + LEASE)
    with store.read() as tx:
        assert tx.due_messages(T0 + timedelta(seconds=29)) == []


def test_an_expired_lease_lets_another_process_send_the_message(store: Store) -> None:
    # The claimant died mid-send: after the lease the message is due again (at-least-once).
    message_id = enqueued(store)
    with store.transaction() as tx:
        assert claim_outbox(tx, message_id, T0, T0 + LEASE)
    with store.transaction() as tx:
        assert claim_outbox(tx, message_id, T0 + LEASE, T0 + 2 * LEASE)


def test_only_the_first_settlement_of_a_message_counts(store: Store) -> None:
    message_id = enqueued(store)
    with store.transaction() as tx:
        assert settle_outbox(tx, message_id)
    with store.transaction() as tx:
        assert not settle_outbox(tx, message_id)


def test_renewing_leaves_a_message_rescheduled_for_a_retry_alone(store: Store) -> None:
    message_id = enqueued(store)
    with store.transaction() as tx:
        claim_outbox(tx, message_id, T0, T0 + LEASE)
        tx.reschedule(message_id, 1, T0 + timedelta(seconds=2))  # the send failed: attempt 1, retry soon
    with store.transaction() as tx:
        renew_outbox_leases(tx, [(message_id, 0)], T0 + 2 * LEASE)  # the renewal read it as attempt 0
    with store.read() as tx:
        [due] = tx.due_messages(T0 + timedelta(seconds=2))
    assert (due.id, due.attempts) == (message_id, 1)


def test_restart_releases_the_leases_of_processes_that_are_gone(store: Store) -> None:
    message_id = enqueued(store)
    with store.transaction() as tx:
        claim_outbox(tx, message_id, T0, T0 + LEASE)
    assert store.release_outbox_leases(T0 + timedelta(seconds=1), LEASE) == 1
    with store.read() as tx:
        assert [m.id for m in tx.due_messages(T0 + timedelta(seconds=1))] == [message_id]


def test_concurrent_claims_from_two_processes_lease_each_message_once(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("one process per SQLite file: there is no second claimer")
    other = Store(str(store._engine.url.render_as_string(hide_password=False)))
    try:
        ids = [enqueued(store) for _ in range(40)]
        won: dict[str, list[int]] = {"a": [], "b": []}
        start = threading.Barrier(2)

        def claimer(name: str, s: Store) -> None:
            start.wait()
            for message_id in ids:
                with s.transaction() as tx:
                    if claim_outbox(tx, message_id, T0, T0 + LEASE):
                        won[name].append(message_id)

        threads = [threading.Thread(target=claimer, args=x) for x in (("a", store), ("b", other))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(won["a"] + won["b"]) == ids
    finally:
        other.dispose()


@pytest.fixture()
def second(store: Store) -> Iterator[Store]:
    """Another process's view of the same database (SQLite: the same file)."""
    other = Store(str(store._engine.url.render_as_string(hide_password=False)))
    yield other
    other.dispose()


def test_the_start_hooks_run_in_one_process_and_another_takes_over_when_it_stops(
    store: Store, second: Store
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite serves with one process: its hooks run at once")
    ran: list[str] = []
    took_over = threading.Event()
    first = Elected(store, LOCK_ID, lambda: ran.append("first"))

    def second_turn() -> None:
        ran.append("second")
        took_over.set()

    other = Elected(second, LOCK_ID, second_turn, retry_seconds=0.05)
    first.start()
    other.start()
    try:
        assert ran == ["first"] and first.holder and not other.holder
        first.stop()  # the holder ends (or dies): the server frees its lock
        assert took_over.wait(timeout=30)
        assert ran == ["first", "second"] and other.holder
    finally:
        other.stop()
        first.stop()


def test_on_sqlite_the_start_hooks_run_at_once(store: Store) -> None:
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL elects")
    ran: list[str] = []
    elected = Elected(store, LOCK_ID, lambda: ran.append("only"))
    elected.start()
    elected.stop()
    assert ran == ["only"]
