"""Store contract: transaction boundaries, timestamps, JSON fidelity and concurrent writers."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError

from battrace.errors import Conflict
from battrace.store import Store

from .factories import T0, asset, content, message, negotiation, policy

CEST = timezone(timedelta(hours=2))


class Boom(Exception):
    pass


def test_an_exception_rolls_back_everything_written_in_the_transaction(store: Store) -> None:
    with pytest.raises(Boom), store.transaction() as tx:
        tx.add_asset(asset(), content())
        tx.insert_negotiation(negotiation())
        tx.enqueue(message())
        tx.remember_response("msg-1", 201, {}, T0)
        raise Boom
    with store.read() as tx:
        assert tx.get_asset("urn:uuid:asset-1") is None
        assert tx.get_asset_content("urn:uuid:asset-1") is None
        assert tx.get_negotiation("neg-1") is None
        assert tx.next_due_at() is None
        assert tx.recall_response("msg-1") is None


def test_a_caught_conflict_leaves_the_transaction_usable(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_asset(asset("a"))
        with pytest.raises(Conflict):
            tx.add_asset(asset("a"))
        tx.add_asset(asset("b"))
    with store.read() as tx:
        assert [a.id for a in tx.list_assets()] == ["a", "b"]


def test_writes_inside_read_are_never_persisted(store: Store) -> None:
    if store.dialect == "postgresql":
        # PostgreSQL refuses the write outright in a READ ONLY transaction.
        with pytest.raises(DBAPIError, match="read-only"), store.read() as tx:
            tx.add_asset(asset())
    else:
        with store.read() as tx:
            tx.add_asset(asset())
    with store.read() as tx:
        assert tx.get_asset("urn:uuid:asset-1") is None


def test_a_reader_neither_waits_for_nor_sees_an_open_write_transaction(store: Store) -> None:
    with store.transaction() as writer:
        writer.add_asset(asset())
        with store.read() as reader:  # on SQLite a second BEGIN IMMEDIATE would wait here for 10 s
            assert reader.get_asset("urn:uuid:asset-1") is None
    with store.read() as reader:
        assert reader.get_asset("urn:uuid:asset-1") == asset()


def test_timestamps_come_back_utc_aware_and_equal(store: Store) -> None:
    local = datetime(2026, 3, 1, 14, 0, 0, 654321, tzinfo=CEST)
    with store.transaction() as tx:
        tx.insert_negotiation(replace(negotiation(), created_at=local, updated_at=local))
    with store.read() as tx:
        found = tx.get_negotiation("neg-1")
    assert found is not None
    assert found.created_at == local
    assert found.created_at.utcoffset() == timedelta(0)
    assert found.created_at.tzinfo is not None


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"), store.transaction() as tx:
        tx.add_asset(replace(asset(), created_at=datetime(2026, 3, 1, 12, 0)))


def test_due_messages_compare_instants_not_wall_clock_text(store: Store) -> None:
    # 13:30 at +02:00 is 11:30 UTC: earlier than T0 (12:00 UTC) although its wall clock reads later.
    with store.transaction() as tx:
        tx.enqueue(replace(message(), next_attempt_at=datetime(2026, 3, 1, 13, 30, tzinfo=CEST)))
    with store.read() as tx:
        assert len(tx.due_messages(T0)) == 1
        assert tx.due_messages(T0 - timedelta(hours=1)) == []


# PostgreSQL jsonb cannot hold U+0000 and keeps numbers as decimals, so the contract is: any JSON made of
# text without NUL, integers within ±2^53, booleans and null round-trips exactly on every backend.
_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
_json: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(_text, _json, max_size=5))
def test_json_documents_round_trip_exactly(store: Store, document: dict[str, Any]) -> None:
    with store.transaction() as tx:
        tx.delete_policy_definition("p")
        tx.add_policy_definition(replace(policy("p"), policy=document))
    with store.read() as tx:
        found = tx.get_policy_definition("p")
    assert found is not None and found.policy == document


def test_concurrent_read_modify_write_from_threads_loses_nothing(store: Store) -> None:
    """Many threads incrementing one row: no 'database is locked', no lost update."""
    with store.transaction() as tx:
        tx.insert_negotiation(negotiation())
    threads, rounds, errors = 6, 10, []

    def work() -> None:
        try:
            for _ in range(rounds):
                with store.transaction() as tx:
                    current = tx.get_negotiation("neg-1", for_update=True)
                    assert current is not None
                    tx.update_negotiation(current)
                    tx.enqueue(message())
        except Exception as exc:  # collected: an exception in a thread would otherwise vanish
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with store.read() as tx:
        found = tx.get_negotiation("neg-1")
        assert found is not None and found.version == threads * rounds
