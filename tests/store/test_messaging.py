"""Store contract: the outbox (ordered per process), inbound idempotency and jti replay protection."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from battrace.errors import Conflict, NotFound
from battrace.identity.replay import ReplayGuard
from battrace.store import DbReplayGuard, Store

from .factories import T0, at, message


def _enqueue(store: Store, *messages: tuple[str, float]) -> list[int]:
    with store.transaction() as tx:
        return [tx.enqueue(message(process_id, due=due)) for process_id, due in messages]


def _due_ids(store: Store, now_seconds: float, limit: int = 100) -> list[int | None]:
    with store.read() as tx:
        return [m.id for m in tx.due_messages(at(now_seconds), limit)]


def test_enqueue_assigns_increasing_ids_and_round_trips(store: Store) -> None:
    first, second = _enqueue(store, ("neg-1", 0), ("neg-2", 0))
    assert second > first
    with store.read() as tx:
        assert tx.due_messages(at(0)) == [
            replace(message("neg-1"), id=first),
            replace(message("neg-2"), id=second),
        ]


def test_only_the_oldest_message_of_each_process_is_due(store: Store) -> None:
    a1, a2, b1 = _enqueue(store, ("a", 0), ("a", 0), ("b", 0))
    assert _due_ids(store, 0) == [a1, b1]
    with store.transaction() as tx:
        tx.delete_outbox(a1)
    assert _due_ids(store, 0) == [a2, b1]


def test_messages_are_due_only_from_their_next_attempt(store: Store) -> None:
    a1, b1 = _enqueue(store, ("a", 10), ("b", 5))
    assert _due_ids(store, 4) == []
    assert _due_ids(store, 5) == [b1]
    assert _due_ids(store, 10) == [a1, b1]  # id order, not time order


def test_a_waiting_head_holds_back_the_rest_of_its_process(store: Store) -> None:
    a1, a2 = _enqueue(store, ("a", 0), ("a", 0))
    with store.transaction() as tx:
        tx.reschedule(a1, attempts=1, next_attempt_at=at(30))
    assert _due_ids(store, 10) == []  # a2 must not overtake a1
    with store.read() as tx:
        assert tx.next_due_at() == at(30)
        (head,) = tx.due_messages(at(30))
    assert (head.id, head.attempts, head.next_attempt_at) == (a1, 1, at(30))
    assert a2 > a1


def test_due_messages_respects_the_limit(store: Store) -> None:
    ids = _enqueue(store, *[(f"p{i}", 0) for i in range(5)])
    assert _due_ids(store, 0, limit=2) == ids[:2]


def test_next_due_at_is_the_earliest_head_or_none(store: Store) -> None:
    with store.read() as tx:
        assert tx.next_due_at() is None
    _enqueue(store, ("a", 20), ("a", 1), ("b", 7))
    with store.read() as tx:
        # a's second message (due at 1) waits for a's head (due at 20); b's head is due at 7.
        assert tx.next_due_at() == at(7)


def test_rescheduling_an_unknown_message_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound), store.transaction() as tx:
        tx.reschedule(12345, attempts=1, next_attempt_at=at(1))


def test_a_remembered_response_is_recalled(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.recall_response("msg-1") is None
        tx.remember_response("msg-1", 201, {"@type": "ContractNegotiation", "état": "REQUESTED"}, T0)
        tx.remember_response("msg-2", 200, None, T0)
    with store.read() as tx:
        recalled = tx.recall_response("msg-1")
        assert recalled is not None
        assert (recalled.status, recalled.response, recalled.created_at) == (
            201,
            {"@type": "ContractNegotiation", "état": "REQUESTED"},
            T0,
        )
        second = tx.recall_response("msg-2")
        assert second is not None and second.response is None


def test_remembering_the_same_key_twice_is_a_conflict(store: Store) -> None:
    with store.transaction() as tx:
        tx.remember_response("msg-1", 201, {}, T0)
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.remember_response("msg-1", 500, {}, T0)


def test_a_replayed_jti_is_refused(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.record_jti("did:web:a", "jti-1", at(60)) is True
        assert tx.record_jti("did:web:a", "jti-1", at(60)) is False
        assert tx.record_jti("did:web:b", "jti-1", at(60)) is True  # jti is unique per issuer only
    with store.transaction() as tx:
        assert tx.record_jti("did:web:a", "jti-1", at(60)) is False


def test_an_expired_jti_no_longer_blocks_when_now_is_given(store: Store) -> None:
    with store.transaction() as tx:
        tx.record_jti("did:web:a", "jti-1", at(60))
        assert tx.record_jti("did:web:a", "jti-1", at(200), now=at(59)) is False
        assert tx.record_jti("did:web:a", "jti-1", at(200), now=at(60)) is True


def test_purge_drops_expired_jtis_and_old_inbox_records(store: Store) -> None:
    with store.transaction() as tx:
        tx.record_jti("i", "old", at(10))
        tx.record_jti("i", "fresh", at(100))
        tx.remember_response("old", 200, None, T0 - timedelta(days=8))
        tx.remember_response("recent", 200, None, T0)
    with store.transaction() as tx:
        assert tx.purge_expired(at(50)) == 2
    with store.transaction() as tx:
        assert tx.record_jti("i", "old", at(200)) is True
        assert tx.record_jti("i", "fresh", at(200)) is False
        assert tx.recall_response("old") is None
        assert tx.recall_response("recent") is not None


def test_db_replay_guard_is_a_replay_guard_that_survives_restarts(store: Store) -> None:
    guard: ReplayGuard = DbReplayGuard(store)
    assert guard.check_and_record("did:web:a", "jti-1", at(60)) is True
    assert DbReplayGuard(store).check_and_record("did:web:a", "jti-1", at(60)) is False


def test_db_replay_guard_with_a_clock_forgets_expired_entries(store: Store) -> None:
    now = [at(0)]
    guard = DbReplayGuard(store, clock=lambda: now[0])
    assert guard.check_and_record("did:web:a", "jti-1", at(60)) is True
    assert guard.check_and_record("did:web:a", "jti-1", at(60)) is False
    now[0] = at(61)
    assert guard.check_and_record("did:web:a", "jti-1", at(120)) is True
