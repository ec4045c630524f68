"""The driver-level write and read paths (COPY / executemany, plain-SQL lookups) store what was hashed."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import text

from battrace.ledger import log as log_module
from battrace.ledger.log import TransparencyLog
from battrace.ledger.merkle import root_of, verify_inclusion
from battrace.store import Store
from battrace.store import ledger as db

from .test_log import ORIGIN, T0, signer

TRICKY: list[dict[str, Any]] = [
    {"s": 'tab\there, newline\n, quote " and backslash \\ \\N'},  # COPY's text format escapes these
    {"s": "a\u0000b \x7f \u2028 – Ø 😀", "nested": {"list": [1, True, None, "x"]}},
    {"price": 1.5, "big": 1e21},  # floats: the rfc8785 path
]


def raw_rows(store: Store) -> list[tuple[Any, ...]]:
    with store._engine.connect() as conn:
        sql = "SELECT idx, CAST(payload AS TEXT), leaf_hash FROM log_entries ORDER BY idx"
        return [tuple(r) for r in conn.execute(text(sql))]


def test_the_stored_payload_text_is_the_hashed_canonical_json(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    log.append_many(("test.event", e) for e in TRICKY)
    rows = raw_rows(store)
    assert [r[0] for r in rows] == [0, 1, 2]
    for (_, payload, leaf), event in zip(rows, TRICKY, strict=True):
        assert hashlib.sha256(b"\x00" + payload.encode()).digest() == bytes(leaf)
        assert payload.encode() == log_module.leaf_data("test.event", "2026-03-01T12:00:00Z", event)
    stored = log.entries(0, 10)
    assert [e.payload["s"] for e in stored[:2]] == [TRICKY[0]["s"], TRICKY[1]["s"]]
    assert {e.created_at for e in stored} == {T0}


def test_a_batch_larger_than_the_flush_size_is_one_tree_across_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_module, "_FLUSH", 7)  # 45 entries: six full chunks and a partial one
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    log.append_many(("test.event", {"n": i}) for i in range(3))
    assert log.append_many(("test.event", {"n": i}) for i in range(3, 48)) == range(3, 48)
    leaves = [bytes(r[2]) for r in raw_rows(store)]
    root = root_of(leaves)
    for index in (0, 6, 7, 30, 47):
        assert verify_inclusion(index, 48, leaves[index], log.inclusion_proof(index, 48), root)
    with store.read() as tx:
        levels = db.subtree_hashes(tx, {(5, 0), (4, 2), (0, 47), (0, 48), (6, 0)})
    assert set(levels) == {(5, 0), (4, 2), (0, 47)}  # what does not exist is simply absent


def test_a_lookup_spanning_many_levels_and_indices_returns_each_hash_once(store: Store) -> None:
    log = TransparencyLog(store, signer(), origin=ORIGIN, clock=lambda: T0)
    log.append_many(("test.event", {"n": i}) for i in range(64))
    keys = {(level, i) for level in range(7) for i in range(64 >> level)}
    with store.read() as tx:
        found = db.subtree_hashes(tx, keys)
    assert set(found) == keys
    assert found[(6, 0)] == root_of([found[(0, i)] for i in range(64)])
