"""TransparencyLog on SQLite and PostgreSQL: appends, proofs, checkpoints, receipts, cosignatures."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from battrace.errors import Conflict, InvalidInput, NotFound
from battrace.ledger.log import MAX_ENTRIES, TransparencyLog
from battrace.ledger.merkle import EMPTY_ROOT, root_of, verify_consistency, verify_inclusion
from battrace.ledger.note import (
    CosignatureSigner,
    InvalidNote,
    NoteSigner,
    NoteVerifier,
    cosign,
    open_checkpoint,
    open_note,
)
from battrace.ledger.receipt import InvalidReceipt, verify_receipt
from battrace.store import Store

ORIGIN = "provider.example/basc-log"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def signer(seed: int = 1, name: str = ORIGIN) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


@pytest.fixture
def log(store: Store) -> TransparencyLog:
    return TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)


def fill(log: TransparencyLog, n: int) -> list[bytes]:
    """Append n entries; return the leaf hashes computed independently of the log (SHA-256(0x00 || JCS))."""
    log.append_many(("test.event", {"n": i}) for i in range(n))
    return [expected_leaf({"n": i}) for i in range(n)]


def expected_leaf(event: dict[str, int]) -> bytes:
    (key, value), = event.items()  # fmt: skip
    # RFC 8785 §3.2.3: members sorted by key ("kind" < "n" < "ts" < "v"), no whitespace.
    data = f'{{"kind":"test.event","{key}":{value},"ts":"2026-03-01T12:00:00Z","v":1}}'.encode()
    return hashlib.sha256(b"\x00" + data).digest()


def stored_leaves(log: TransparencyLog) -> list[bytes]:
    return [e.leaf_hash for e in log.entries(0, MAX_ENTRIES)]


# -- appending ----------------------------------------------------------------------------------------------


def test_append_returns_consecutive_indices_inside_the_callers_transaction(
    store: Store, log: TransparencyLog
) -> None:
    with store.transaction() as tx:
        assert log.append(tx, "negotiation.agreed", {"peer": "did:web:b"}) == 0
        assert log.append(tx, "transfer.started", {"peer": "did:web:b"}) == 1
    with store.transaction() as tx:
        assert log.append(tx, "transfer.completed", {}) == 2
    assert log.size() == 3
    assert [e.kind for e in log.entries(0, 10)] == [
        "negotiation.agreed",
        "transfer.started",
        "transfer.completed",
    ]


def test_leaf_is_sha256_of_0x00_and_the_canonical_json_of_the_versioned_envelope(
    store: Store, log: TransparencyLog
) -> None:
    with store.transaction() as tx:
        log.append(tx, "test.event", {"n": 7})
    (entry,) = log.entries(0, 1)
    assert entry.payload == {"v": 1, "kind": "test.event", "ts": "2026-03-01T12:00:00Z", "n": 7}
    assert entry.leaf_hash == expected_leaf({"n": 7})
    assert entry.created_at == T0


def test_a_rolled_back_business_transaction_takes_its_log_entry_with_it(
    store: Store, log: TransparencyLog
) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        log.append(tx, "test.event", {"n": 0})
        raise RuntimeError("the business change failed")
    assert log.size() == 0
    with store.transaction() as tx:
        assert log.append(tx, "test.event", {"n": 0}) == 0


def test_append_many_returns_its_range_and_builds_the_same_tree_as_single_appends(
    store: Store, log: TransparencyLog
) -> None:
    with store.transaction() as tx:
        log.append(tx, "test.event", {"n": 0})
    assert log.append_many(("test.event", {"n": i}) for i in range(1, 21)) == range(1, 21)
    assert log.append_many([]) == range(21, 21)
    assert stored_leaves(log) == [expected_leaf({"n": i}) for i in range(21)]
    assert open_checkpoint(log.checkpoint(), [signer().verifier()]).root == root_of(stored_leaves(log))


@pytest.mark.parametrize(
    "event",
    [{"v": 2}, {"kind": "other"}, {"ts": "yesterday"}, {"x": float("nan")}, {"x": 2**60}, {"x": object()}],
    ids=["v", "kind", "ts", "nan", "unsafe-int", "object"],
)
def test_reserved_or_non_canonical_events_are_refused(
    store: Store, log: TransparencyLog, event: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput), store.transaction() as tx:
        log.append(tx, "test.event", event)
    assert log.size() == 0


def test_an_empty_kind_is_refused(store: Store, log: TransparencyLog) -> None:
    with pytest.raises(InvalidInput, match="kind"):
        log.append_many([("", {})])


def test_text_with_a_nul_character_round_trips_byte_exactly(store: Store, log: TransparencyLog) -> None:
    log.append_many([("test.event", {"s": "a\u0000b – Ø"})])
    (entry,) = log.entries(0, 1)
    assert entry.payload["s"] == "a\u0000b – Ø"
    data = '{"kind":"test.event","s":"a\\u0000b – Ø","ts":"2026-03-01T12:00:00Z","v":1}'.encode()
    assert entry.leaf_hash == hashlib.sha256(b"\x00" + data).digest()


def test_every_complete_subtree_is_stored_exactly_once(store: Store, log: TransparencyLog) -> None:
    fill(log, 13)
    with store._engine.connect() as conn:
        rows = conn.execute(text("SELECT level, COUNT(*) FROM log_subtrees GROUP BY level ORDER BY level"))
        assert [tuple(r) for r in rows] == [(0, 13), (1, 6), (2, 3), (3, 1)]


def test_concurrent_appends_from_threads_build_one_consistent_tree(
    store: Store, log: TransparencyLog
) -> None:
    errors: list[BaseException] = []
    indices: list[int] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        try:
            for i in range(10):
                if i % 3 == 0:
                    got = list(log.append_many([("test.event", {"n": w * 100 + i})] * 2))
                else:
                    with store.transaction() as tx:
                        got = [log.append(tx, "test.event", {"n": w * 100 + i})]
                with lock:
                    indices.extend(got)
        except BaseException as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(indices) == list(range(6 * 14))
    entries = log.entries(0, MAX_ENTRIES)
    assert [e.index for e in entries] == list(range(84))
    assert [e.leaf_hash for e in entries] == [expected_leaf({"n": e.payload["n"]}) for e in entries]
    root = open_checkpoint(log.checkpoint(), [signer().verifier()]).root
    assert root == root_of([e.leaf_hash for e in entries])


# -- proofs -------------------------------------------------------------------------------------------------


def test_every_inclusion_proof_of_every_tree_size_verifies(log: TransparencyLog) -> None:
    leaves = fill(log, 19)
    for size in range(1, 20):
        root = root_of(leaves[:size])
        for index in range(size):
            proof = log.inclusion_proof(index, size)
            assert verify_inclusion(index, size, leaves[index], proof, root), (index, size)


def test_an_inclusion_proof_does_not_verify_for_another_leaf(log: TransparencyLog) -> None:
    leaves = fill(log, 6)
    proof = log.inclusion_proof(2, 6)
    assert not verify_inclusion(2, 6, leaves[3], proof, root_of(leaves))


def test_every_consistency_proof_between_tree_sizes_verifies(log: TransparencyLog) -> None:
    leaves = fill(log, 17)
    for second in range(1, 18):
        for first in range(1, second + 1):
            proof = log.consistency_proof(first, second)
            ok = verify_consistency(first, second, root_of(leaves[:first]), root_of(leaves[:second]), proof)
            assert ok, (first, second)


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        ("inclusion", 0, 6),  # tree size beyond the head
        ("inclusion", 5, 5),  # index not in the tree
        ("inclusion", -1, 3),
        ("consistency", 3, 2),
        ("consistency", -1, 3),
        ("consistency", 2, 9),
    ],
)
def test_proofs_of_coordinates_outside_the_log_are_invalid_input(
    log: TransparencyLog, kind: str, a: int, b: int
) -> None:
    fill(log, 5)
    with pytest.raises(InvalidInput):
        if kind == "inclusion":
            log.inclusion_proof(a, b)
        else:
            log.consistency_proof(a, b)


def test_entries_stop_at_the_head_and_at_the_page_limit(log: TransparencyLog) -> None:
    fill(log, 5)
    assert [e.index for e in log.entries(3, 100)] == [3, 4]
    assert log.entries(5, 9) == []
    assert log.entries(2, 2) == []
    with pytest.raises(InvalidInput):
        log.entries(3, 2)
    with pytest.raises(InvalidInput):
        log.entries(-1, 2)


def test_entries_return_at_most_one_thousand(log: TransparencyLog) -> None:
    fill(log, MAX_ENTRIES + 5)
    assert len(log.entries(0, 5000)) == MAX_ENTRIES
    assert [e.index for e in log.entries(1000, 5000)] == [1000, 1001, 1002, 1003, 1004]


# -- checkpoints --------------------------------------------------------------------------------------------


def test_no_checkpoint_exists_before_the_first_is_asked_for(log: TransparencyLog) -> None:
    assert log.latest_checkpoint() is None


def test_the_checkpoint_of_an_empty_log_has_the_empty_root(log: TransparencyLog) -> None:
    checkpoint = open_checkpoint(log.checkpoint(), [signer().verifier()])
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, 0, EMPTY_ROOT)


def test_a_checkpoint_is_signed_once_per_size_and_reused_until_the_head_moves(
    store: Store, log: TransparencyLog
) -> None:
    leaves = fill(log, 3)
    first = log.checkpoint()
    assert log.checkpoint() == first == log.latest_checkpoint()
    fill_more = log.append_many([("test.event", {"n": 3})])
    second = log.checkpoint()
    assert fill_more == range(3, 4) and second != first
    opened = open_checkpoint(second, [NoteVerifier.from_vkey(log.vkey)])
    assert (opened.size, opened.root) == (4, root_of([*leaves, expected_leaf({"n": 3})]))
    with store._engine.connect() as conn:
        assert conn.execute(text("SELECT size FROM log_checkpoints ORDER BY size")).scalars().all() == [3, 4]


def test_a_checkpoint_does_not_verify_with_another_key(log: TransparencyLog) -> None:
    fill(log, 2)
    with pytest.raises(InvalidNote):
        open_checkpoint(log.checkpoint(), [signer(seed=2).verifier()])


def test_a_receipt_proves_the_entry_against_a_signed_checkpoint(log: TransparencyLog) -> None:
    leaves = fill(log, 11)
    receipt = log.receipt(7)
    checkpoint = verify_receipt(receipt, leaves[7], [NoteVerifier.from_vkey(log.vkey)])
    assert checkpoint.size == 11
    with pytest.raises(InvalidReceipt):
        verify_receipt(receipt, leaves[6], [NoteVerifier.from_vkey(log.vkey)])
    with pytest.raises(InvalidInput):
        log.receipt(11)


def test_a_witness_cosignature_is_kept_once_beside_our_signature(log: TransparencyLog) -> None:
    fill(log, 4)
    witness = CosignatureSigner("witness.example", Ed25519PrivateKey.from_private_bytes(b"\x09" * 32))
    cosigned = cosign(log.checkpoint(), witness, now=1_772_366_400)
    log.add_cosignature(4, cosigned, witness.verifier())
    log.add_cosignature(4, cosigned, witness.verifier())  # idempotent
    kept = log.latest_checkpoint()
    assert kept == cosigned
    _, names = open_note(kept, [signer().verifier(), witness.verifier()])
    assert names == [ORIGIN, "witness.example"]
    assert log.checkpoint() == kept


def test_a_cosignature_of_another_text_or_size_or_key_is_refused(log: TransparencyLog) -> None:
    fill(log, 4)
    witness = CosignatureSigner("witness.example", Ed25519PrivateKey.from_private_bytes(b"\x09" * 32))
    ours = log.checkpoint()
    forked = signer().sign(f"{ORIGIN}\n4\n{'A' * 43}=\n")
    with pytest.raises(Conflict):
        log.add_cosignature(4, cosign(forked, witness, now=1), witness.verifier())
    with pytest.raises(NotFound):
        log.add_cosignature(5, cosign(ours, witness, now=1), witness.verifier())
    other = CosignatureSigner("witness.example", Ed25519PrivateKey.from_private_bytes(b"\x0a" * 32))
    with pytest.raises(InvalidNote):
        log.add_cosignature(4, cosign(ours, other, now=1), witness.verifier())
    assert log.latest_checkpoint() == ours


# -- the database keeps the history append-only ------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE log_entries SET kind = 'edited' WHERE idx = 1",
        "DELETE FROM log_entries WHERE idx = 1",
        "UPDATE log_subtrees SET hash = hash WHERE level = 0",
        "DELETE FROM log_subtrees",
        "DELETE FROM log_checkpoints",
        "UPDATE log_checkpoints SET size = size + 1",
        "UPDATE log_head SET size = size - 1",
    ],
)
def test_the_database_refuses_to_rewrite_history(store: Store, log: TransparencyLog, statement: str) -> None:
    fill(log, 3)
    log.checkpoint()
    with pytest.raises(DBAPIError), store._engine.begin() as conn:
        conn.execute(text(statement))
    assert log.size() == 3
    assert [e.kind for e in log.entries(0, 3)] == ["test.event"] * 3
