"""The in-memory right edge (it saves a query per append) never lets the tree diverge from the database."""

from __future__ import annotations

import pytest

from battrace.ledger.log import MAX_ENTRIES, TransparencyLog
from battrace.ledger.merkle import root_of
from battrace.store import Store

from .test_log import ORIGIN, T0, signer


def appended_root(log: TransparencyLog) -> bytes:
    return root_of([e.leaf_hash for e in log.entries(0, MAX_ENTRIES)])


def checkpoint_root(log: TransparencyLog) -> bytes:
    import base64

    return base64.b64decode(log.checkpoint().splitlines()[2])


def test_a_rollback_after_cached_appends_does_not_poison_the_next_append(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    log.append_many(("test.event", {"n": i}) for i in range(5))  # the edge is cached at size 5
    with pytest.raises(RuntimeError), store.transaction() as tx:
        log.append(tx, "test.event", {"n": 99})
        log.append(tx, "test.event", {"n": 100})
        raise RuntimeError("rolled back")
    with store.transaction() as tx:
        assert log.append(tx, "test.event", {"n": 5}) == 5
    assert checkpoint_root(log) == appended_root(log)


def test_two_writers_on_one_database_keep_one_tree(store: Store) -> None:
    # Two processes (two uvicorn workers, or a CLI beside the node) each with their own cached edge.
    first = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    second = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    for i in range(20):
        writer = first if i % 3 else second
        with store.transaction() as tx:
            assert writer.append(tx, "test.event", {"n": i}) == i
    assert checkpoint_root(first) == appended_root(first)
    assert checkpoint_root(second) == checkpoint_root(first)


def test_a_rolled_back_append_followed_by_another_writer_at_the_same_size_is_not_mistaken(
    store: Store,
) -> None:
    # If the edge were cached before commit, A would extend its rolled-back leaf: same size, wrong tree.
    a = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    b = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    a.append_many(("test.event", {"n": i}) for i in range(3))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        a.append(tx, "test.event", {"n": 1000})
        raise RuntimeError("rolled back")
    with store.transaction() as tx:
        b.append(tx, "test.event", {"n": 3})
    for n in range(4, 8):  # enough for A to complete the size-8 subtree its edge would corrupt
        with store.transaction() as tx:
            a.append(tx, "test.event", {"n": n})
    assert checkpoint_root(a) == appended_root(a)
