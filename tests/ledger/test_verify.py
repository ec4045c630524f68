"""verify_log names every kind of tampering done with raw SQL (triggers dropped), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from battrace.ledger.log import TransparencyLog
from battrace.ledger.merkle import root_of
from battrace.ledger.note import Checkpoint, NoteSigner, NoteVerifier
from battrace.ledger.verify import VerifyReport, main, verify_log
from battrace.store import Store

ORIGIN = "provider.example/basc-log"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
VERIFIERS = [SIGNER.verifier()]
TABLES = ("log_entries", "log_subtrees", "log_checkpoints", "log_head")
TRIGGERS = (
    "log_entries_no_update", "log_entries_no_delete", "log_subtrees_no_update", "log_subtrees_no_delete",
    "log_checkpoints_fixed", "log_checkpoints_kept", "log_head_forward",
)  # fmt: skip


@pytest.fixture
def log(store: Store) -> TransparencyLog:
    """Twelve entries with signed checkpoints at sizes 8 and 12."""
    log = TransparencyLog(store, SIGNER, origin=ORIGIN, clock=lambda: T0)
    log.append_many(("test.event", {"n": i}) for i in range(8))
    log.checkpoint()
    log.append_many(("test.event", {"n": i}) for i in range(8, 12))
    log.checkpoint()
    return log


def tamper(store: Store, *statements: str, **params: Any) -> None:
    """Run raw SQL below the log, with the append-only triggers out of the way."""
    with store._engine.begin() as conn:
        if store.dialect == "postgresql":
            for table in TABLES:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for trigger in TRIGGERS:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for statement in statements:
            conn.execute(text(statement), params)
        if store.dialect == "postgresql":
            for table in TABLES:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def envelope(n: int | str) -> tuple[str, bytes]:
    """Payload text and leaf hash of a well-formed entry carrying `n`."""
    data = rfc8785.dumps({"v": 1, "kind": "test.event", "ts": "2026-03-01T12:00:00Z", "n": n})
    return data.decode(), hashlib.sha256(b"\x00" + data).digest()


def rewrite(store: Store, idx: int, n: int | str, *, leaf: bool = True) -> None:
    payload, leaf_hash = envelope(n)
    set_leaf = ", leaf_hash = :h" if leaf else ""
    tamper(
        store, f"UPDATE log_entries SET payload = :p{set_leaf} WHERE idx = :i", p=payload, h=leaf_hash, i=idx
    )


def renumber(store: Store, from_idx: int, delta: int) -> None:
    # Two steps through negative numbers: a direct shift would collide with the primary key mid-statement.
    tamper(
        store,
        "UPDATE log_entries SET idx = -(idx + :d) - 1 WHERE idx >= :f",
        "UPDATE log_entries SET idx = -idx - 1 WHERE idx < 0",
        "UPDATE log_head SET size = size + :d",
        d=delta,
        f=from_idx,
    )


def found(report: VerifyReport) -> list[tuple[str, int | None]]:
    return [(f.kind, f.index) for f in report.findings]


def test_an_intact_log_verifies_with_full_signed_coverage(log: TransparencyLog, store: Store) -> None:
    report = verify_log(store, VERIFIERS)
    assert report.ok
    assert (report.entries, report.head, report.checkpoints, report.covered) == (12, 12, 2, 12)


def test_an_edited_payload_under_its_old_leaf_hash_is_named(log: TransparencyLog, store: Store) -> None:
    rewrite(store, 5, 500, leaf=False)
    assert found(verify_log(store, VERIFIERS)) == [("edited", 5)]


def test_an_edited_kind_column_is_named(log: TransparencyLog, store: Store) -> None:
    tamper(store, "UPDATE log_entries SET kind = 'other' WHERE idx = 2")
    assert found(verify_log(store, VERIFIERS)) == [("edited", 2)]


def test_a_payload_rewritten_with_its_leaf_hash_is_named_by_descent_from_the_signed_root(
    log: TransparencyLog, store: Store
) -> None:
    rewrite(store, 5, 500)
    report = verify_log(store, VERIFIERS)
    assert found(report) == [("diverged", 5)]
    assert report.covered == 0


def test_an_edit_after_the_first_checkpoint_leaves_that_checkpoint_covered(
    log: TransparencyLog, store: Store
) -> None:
    rewrite(store, 10, 1000)
    report = verify_log(store, VERIFIERS)
    assert found(report) == [("diverged", 10)]
    assert report.covered == 8


def test_with_the_stored_leaf_subtree_rewritten_too_the_smallest_vouched_range_is_named(
    log: TransparencyLog, store: Store
) -> None:
    rewrite(store, 5, 500)
    _, leaf_hash = envelope(500)
    tamper(store, "UPDATE log_subtrees SET hash = :h WHERE level = 0 AND idx = 5", h=leaf_hash)
    report = verify_log(store, VERIFIERS)
    assert [(f.kind, f.index, f.end) for f in report.findings] == [("diverged", 4, 6)]


def test_a_deleted_row_is_named_as_missing(log: TransparencyLog, store: Store) -> None:
    tamper(store, "DELETE FROM log_entries WHERE idx = 5")
    assert found(verify_log(store, VERIFIERS)) == [("missing", 5)]


def test_a_deleted_and_renumbered_row_is_named_as_deleted(log: TransparencyLog, store: Store) -> None:
    tamper(store, "DELETE FROM log_entries WHERE idx = 5")
    renumber(store, 6, -1)
    report = verify_log(store, VERIFIERS)
    assert found(report) == [("deleted", 5), ("shrunk", 11)]


def test_a_row_appended_beyond_the_head_is_named_as_unexpected(log: TransparencyLog, store: Store) -> None:
    payload, leaf_hash = envelope(99)
    tamper(
        store,
        "INSERT INTO log_entries (idx, kind, created_at, payload, leaf_hash)"
        " VALUES (12, 'test.event', :t, :p, :h)",
        t=T0,
        p=payload,
        h=leaf_hash,
    )
    assert found(verify_log(store, VERIFIERS)) == [("unexpected", 12)]


def test_a_row_inserted_and_renumbered_is_named_as_inserted(log: TransparencyLog, store: Store) -> None:
    renumber(store, 3, 1)
    payload, leaf_hash = envelope("forged")
    tamper(
        store,
        "INSERT INTO log_entries (idx, kind, created_at, payload, leaf_hash)"
        " VALUES (3, 'test.event', :t, :p, :h)",
        t=T0,
        p=payload,
        h=leaf_hash,
    )
    report = verify_log(store, VERIFIERS)
    assert found(report) == [("inserted", 3)]
    assert report.entries == 13


@pytest.mark.parametrize(("i", "j"), [(3, 9), (4, 5)], ids=["far", "adjacent"])
def test_swapped_entries_are_named_as_reordered(log: TransparencyLog, store: Store, i: int, j: int) -> None:
    rewrite(store, i, j)
    rewrite(store, j, i)
    assert found(verify_log(store, VERIFIERS)) == [("reordered", i), ("reordered", j)]


def test_a_rolled_back_tail_is_caught_only_by_a_checkpoint_kept_elsewhere(
    log: TransparencyLog, store: Store
) -> None:
    witness_copy = log.checkpoint()  # size 12, held by a witness or a peer
    tamper(
        store,
        "DELETE FROM log_entries WHERE idx >= 8",
        "DELETE FROM log_subtrees WHERE (idx + 1) * power(2, level) > 8",
        "DELETE FROM log_checkpoints WHERE size > 8",
        "UPDATE log_head SET size = 8",
    )
    assert verify_log(store, VERIFIERS).ok  # internally consistent: the database alone cannot tell
    assert found(verify_log(store, VERIFIERS, checkpoints=[witness_copy])) == [("shrunk", 8)]


def test_an_altered_checkpoint_note_or_row_is_refused(log: TransparencyLog, store: Store) -> None:
    tamper(store, "UPDATE log_checkpoints SET note = replace(note, '\n12\n', '\n13\n') WHERE size = 12")
    tamper(store, "UPDATE log_checkpoints SET root = :r WHERE size = 8", r=bytes(32))
    report = verify_log(store, VERIFIERS)
    assert [f.kind for f in report.findings] == ["bad_checkpoint", "bad_checkpoint"]
    assert report.checkpoints == 0


def test_a_second_signed_root_for_one_size_is_a_split_view(log: TransparencyLog, store: Store) -> None:
    forked = SIGNER.sign(Checkpoint(ORIGIN, 12, root_of([bytes(32)] * 12)).text())
    report = verify_log(store, VERIFIERS, checkpoints=[forked])
    assert "split_view" in [f.kind for f in report.findings]


def test_checkpoints_signed_by_an_unknown_key_are_not_trusted(log: TransparencyLog, store: Store) -> None:
    stranger = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)).verifier()
    report = verify_log(store, [stranger])
    assert report.checkpoints == 0 and not report.ok


def test_the_command_line_entry_reports_and_sets_the_exit_code(
    log: TransparencyLog, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    url = store._engine.url.render_as_string(hide_password=False)
    vkey = NoteVerifier.from_vkey(log.vkey).vkey
    assert main(url, [vkey]) == 0
    assert "log intact" in capsys.readouterr().out
    rewrite(store, 7, 700)
    assert main(url, [vkey]) == 1
    out = capsys.readouterr().out
    assert "diverged at 7" in out and "tampering detected" in out
    assert main(url, []) == 2
    assert main(url, ["not-a-vkey"]) == 2


def test_payloads_stay_valid_json_in_the_database(log: TransparencyLog, store: Store) -> None:
    # The audit reads payload text back through the JSON column; guard the storage form it relies on.
    with store._engine.connect() as conn:
        raw = conn.execute(text("SELECT CAST(payload AS TEXT) FROM log_entries WHERE idx = 0")).scalar_one()
    assert json.loads(raw) == {"v": 1, "kind": "test.event", "ts": "2026-03-01T12:00:00Z", "n": 0}
