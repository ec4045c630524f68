"""Store contract: negotiations and transfers (unique process ids, optimistic locking), agreements, EDRs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from battrace.connector.records import Negotiation, Transfer
from battrace.errors import Conflict
from battrace.store import ConcurrentUpdate, Store, Tx

from .factories import agreement, at, edr, negotiation, transfer

# The same contract holds for both process kinds: (factory, insert, get, find, update, list) by name.
KINDS = {
    "negotiation": (negotiation, "insert_negotiation", "get_negotiation", "find_negotiation",
                    "update_negotiation", "list_negotiations"),
    "transfer": (transfer, "insert_transfer", "get_transfer", "find_transfer", "update_transfer",
                 "list_transfers"),
}  # fmt: skip


class Ops:
    def __init__(self, kind: str) -> None:
        self.make: Callable[..., Negotiation | Transfer] = KINDS[kind][0]  # type: ignore[assignment]
        self._names = KINDS[kind][1:]

    def __call__(self, tx: Tx, op: str, *args: Any, **kwargs: Any) -> Any:
        index = ("insert", "get", "find", "update", "list").index(op)
        return getattr(tx, str(self._names[index]))(*args, **kwargs)


@pytest.fixture(params=sorted(KINDS))
def ops(request: pytest.FixtureRequest) -> Ops:
    return Ops(request.param)


def test_process_round_trips(store: Store, ops: Ops) -> None:
    record = ops.make("p-1")
    with store.transaction() as tx:
        ops(tx, "insert", record)
    with store.read() as tx:
        assert ops(tx, "get", "p-1") == record
        assert ops(tx, "get", "p-1", for_update=True) == record
        assert ops(tx, "get", "missing") is None


def test_duplicate_process_id_is_a_conflict(store: Store, ops: Ops) -> None:
    with store.transaction() as tx:
        ops(tx, "insert", ops.make("p-1"))
    with pytest.raises(Conflict), store.transaction() as tx:
        ops(tx, "insert", ops.make("p-1", consumer_pid="other", provider_pid="other"))


def test_consumer_pid_is_unique_per_role(store: Store, ops: Ops) -> None:
    with store.transaction() as tx:
        ops(tx, "insert", ops.make("p-1", role="PROVIDER", consumer_pid="c", provider_pid="x"))
        # A node may talk to itself: the same pid in the other role is a different process.
        ops(tx, "insert", ops.make("p-2", role="CONSUMER", consumer_pid="c", provider_pid="x"))
    with pytest.raises(Conflict), store.transaction() as tx:
        ops(tx, "insert", ops.make("p-3", role="PROVIDER", consumer_pid="c", provider_pid="y"))


def test_provider_pid_is_unique_per_role_but_may_be_unknown_for_many(store: Store, ops: Ops) -> None:
    with store.transaction() as tx:
        ops(tx, "insert", ops.make("p-1", role="CONSUMER", consumer_pid="c1", provider_pid=None))
        ops(tx, "insert", ops.make("p-2", role="CONSUMER", consumer_pid="c2", provider_pid=None))
        ops(tx, "insert", ops.make("p-3", role="CONSUMER", consumer_pid="c3", provider_pid="x"))
    with pytest.raises(Conflict), store.transaction() as tx:
        ops(tx, "insert", ops.make("p-4", role="CONSUMER", consumer_pid="c4", provider_pid="x"))


def test_find_by_either_pid_within_a_role(store: Store, ops: Ops) -> None:
    record = ops.make("p-1", role="CONSUMER", consumer_pid="c", provider_pid="p")
    with store.transaction() as tx:
        ops(tx, "insert", record)
    with store.read() as tx:
        assert ops(tx, "find", "CONSUMER", consumer_pid="c") == record
        assert ops(tx, "find", "CONSUMER", provider_pid="p", for_update=True) == record
        assert ops(tx, "find", "CONSUMER", consumer_pid="c", provider_pid="p") == record
        assert ops(tx, "find", "CONSUMER", consumer_pid="c", provider_pid="other") is None
        assert ops(tx, "find", "PROVIDER", consumer_pid="c") is None
        with pytest.raises(ValueError):
            ops(tx, "find", "CONSUMER")


def test_update_bumps_the_version_and_persists_every_mutable_field(store: Store, ops: Ops) -> None:
    record = ops.make("p-1", provider_pid=None)
    with store.transaction() as tx:
        ops(tx, "insert", record)
    changed = replace(
        record, state="TERMINATED", provider_pid="late", error_detail="peer gone", updated_at=at(60)
    )
    with store.transaction() as tx:
        saved = ops(tx, "update", changed)
        assert saved == replace(changed, version=1)
        assert ops(tx, "get", "p-1") == saved  # visible inside the same transaction
    with store.read() as tx:
        assert ops(tx, "get", "p-1") == saved


def test_update_never_rewrites_created_at(store: Store, ops: Ops) -> None:
    record = ops.make("p-1")
    with store.transaction() as tx:
        ops(tx, "insert", record)
        ops(tx, "update", replace(record, created_at=at(999)))
    with store.read() as tx:
        assert ops(tx, "get", "p-1").created_at == record.created_at


def test_update_from_a_stale_version_is_a_concurrent_update(store: Store, ops: Ops) -> None:
    record = ops.make("p-1")
    with store.transaction() as tx:
        ops(tx, "insert", record)
    with store.transaction() as tx:
        ops(tx, "update", replace(record, state="AGREED"))
    with pytest.raises(ConcurrentUpdate) as raised, store.transaction() as tx:
        ops(tx, "update", replace(record, state="TERMINATED"))
    assert isinstance(raised.value, Conflict) and raised.value.status == 409
    with store.read() as tx:
        assert ops(tx, "get", "p-1").state == "AGREED"


def test_updating_a_missing_process_is_a_concurrent_update(store: Store, ops: Ops) -> None:
    with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
        ops(tx, "update", ops.make("never-inserted"))


def test_list_filters_by_state_and_pages_oldest_first(store: Store, ops: Ops) -> None:
    with store.transaction() as tx:
        for i, state in enumerate(["REQUESTED", "AGREED", "REQUESTED", "REQUESTED"]):
            ops(tx, "insert", ops.make(f"p-{i}", consumer_pid=f"c{i}", provider_pid=f"p{i}", state=state,
                                       created=10 - i))  # fmt: skip
    with store.read() as tx:
        assert [p.id for p in ops(tx, "list")] == ["p-3", "p-2", "p-1", "p-0"]
        assert [p.id for p in ops(tx, "list", state="REQUESTED")] == ["p-3", "p-2", "p-0"]
        assert [p.id for p in ops(tx, "list", 1, 1, state="REQUESTED")] == ["p-2"]
        assert ops(tx, "list", state="FINALIZED") == []


def test_agreement_round_trips_and_is_unique(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_agreement(agreement("ag-2", signed=2))
        tx.insert_agreement(agreement("ag-1", signed=1))
        with pytest.raises(Conflict):
            tx.insert_agreement(agreement("ag-1"))
    with store.read() as tx:
        assert tx.get_agreement("ag-1") == agreement("ag-1", signed=1)
        assert tx.get_agreement("missing") is None
        assert [a.id for a in tx.list_agreements()] == ["ag-1", "ag-2"]
        assert [a.id for a in tx.list_agreements(1, 5)] == ["ag-2"]


def test_edr_tokens_are_found_by_hash_and_revoked_per_transfer(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_edr(edr("h1", "tp-1"))
        tx.insert_edr(edr("h2", "tp-1"))
        tx.insert_edr(edr("h3", "tp-2"))
        with pytest.raises(Conflict):
            tx.insert_edr(edr("h1", "tp-9"))
    with store.transaction() as tx:
        assert tx.get_edr("h1") == edr("h1", "tp-1")
        assert tx.revoke_edrs("tp-1") == 2
        assert tx.revoke_edrs("tp-1") == 0  # already revoked
    with store.read() as tx:
        assert tx.get_edr("h1") == replace(edr("h1", "tp-1"), revoked=True)
        assert tx.get_edr("h3") == edr("h3", "tp-2")
        assert tx.get_edr("unknown") is None
