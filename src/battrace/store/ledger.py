"""Persistence of the transparency log: entries, complete subtree hashes, checkpoints and the head row.

Functions take the caller's `Tx`, so a log append commits or rolls back together with the business change it
records. Nothing here updates or deletes an entry or a subtree hash (the 0002 migration adds triggers that
refuse it); the only UPDATEs are the head moving forward and a checkpoint note gaining cosignatures.

Subtree reads are batched: the Merkle algorithms touch a data-independent set of (level, index) coordinates,
so `with_subtrees` runs the computation once against a recorder to learn them, fetches them all in one
SELECT, and runs it again against the fetched hashes. A proof at 10^7 entries is one round trip, not forty.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, Dialect, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

from battrace.store._orm import LogCheckpointRow, LogEntryRow, LogHeadRow, LogSubtreeRow
from battrace.store.tx import Tx

T = TypeVar("T")
Node = tuple[int, int, bytes]  # (level, index, hash) of a complete aligned subtree
_HEAD_ID = 1
# Rows per INSERT statement and coordinates per SELECT: below SQLite's 32 766 bound-parameter limit.
_CHUNK = 2000
_PLACEHOLDER = bytes(32)
# Core tables for the bulk paths: the ORM's bulk-insert bookkeeping would cost more than the database work.
_ENTRIES = cast(Table, LogEntryRow.__table__)
_SUBTREES = cast(Table, LogSubtreeRow.__table__)


@dataclass(frozen=True)
class LogEntry:
    index: int
    kind: str
    created_at: datetime
    payload: Mapping[str, Any]  # the whole leaf object: {"v": 1, "kind": ..., "ts": ..., **event}
    leaf_hash: bytes


@dataclass(frozen=True)
class NewEntry:
    """An entry on its way in; `data` is the exact canonical JSON that was hashed into the leaf."""

    index: int
    kind: str
    created_at: datetime
    data: str
    leaf_hash: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: datetime


class MissingSubtree(LookupError):
    """The database lacks a subtree hash the tree needs: the log tables were damaged outside this module."""


# -- head (the append lock) -------------------------------------------------------------------------------


def lock_head(tx: Tx) -> int:
    """Lock the head row for the rest of the transaction and return the log size.

    PostgreSQL: SELECT ... FOR UPDATE makes concurrent appenders queue here. SQLite: the write transaction
    (BEGIN IMMEDIATE) already excludes other writers. The row is created on first use, so an emptied database
    works too; the savepoint lets a concurrent creator win without aborting our transaction.
    """
    stmt = select(LogHeadRow.size).where(LogHeadRow.id == _HEAD_ID).with_for_update()
    size = tx.session.execute(stmt).scalar_one_or_none()
    if size is None:
        try:
            with tx.session.begin_nested():
                tx.session.execute(insert(LogHeadRow).values(id=_HEAD_ID, size=0))
        except IntegrityError:
            pass
        size = tx.session.execute(stmt).scalar_one()
    return int(size)


def read_head(tx: Tx) -> int:
    """The log size as committed (no lock): what readers may prove against."""
    size = tx.session.execute(select(LogHeadRow.size).where(LogHeadRow.id == _HEAD_ID)).scalar_one_or_none()
    return 0 if size is None else int(size)


def set_head(tx: Tx, size: int) -> None:
    tx.session.execute(update(LogHeadRow).where(LogHeadRow.id == _HEAD_ID).values(size=size))


# -- entries and subtrees ----------------------------------------------------------------------------------


class _JsonText(TypeDecorator[str]):
    """A JSON column bound from text that already is JSON (no second serialisation)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def _entry_insert() -> Any:
    # The payload goes in as the canonical text we hashed, not re-serialised by the JSON type: one
    # serialisation per entry instead of two, and the stored text is byte-identical to the leaf data.
    return insert(_ENTRIES).values(payload=bindparam("data", type_=_JsonText()))


def insert_entries(tx: Tx, entries: Sequence[NewEntry]) -> None:
    stmt = _entry_insert()
    for start in range(0, len(entries), _CHUNK):
        rows = [
            {
                "idx": e.index,
                "kind": e.kind,
                "created_at": e.created_at,
                "data": e.data,
                "leaf_hash": e.leaf_hash,
            }
            for e in entries[start : start + _CHUNK]
        ]
        tx.session.execute(stmt, rows)


def insert_subtrees(tx: Tx, nodes: Sequence[Node]) -> None:
    for start in range(0, len(nodes), _CHUNK):
        rows = [{"level": lv, "idx": i, "hash": h} for lv, i, h in nodes[start : start + _CHUNK]]
        tx.session.execute(insert(_SUBTREES), rows)


def subtree_hashes(tx: Tx, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    by_level: dict[int, list[int]] = {}
    for level, index in keys:
        by_level.setdefault(level, []).append(index)
    if not by_level:
        return {}
    # One "level = L AND idx IN (...)" term per level: both backends then walk the primary key, where a
    # row-value IN makes SQLite scan the whole table.
    c = _SUBTREES.c
    stmt = select(c.level, c.idx, c.hash).where(
        or_(*(and_(c.level == lv, c.idx.in_(ix)) for lv, ix in by_level.items()))
    )
    return {(lv, i): h for lv, i, h in tx.session.execute(stmt)}


class _Recorder:
    """A SubtreeReader that only notes which coordinates were asked for."""

    def __init__(self) -> None:
        self.keys: set[tuple[int, int]] = set()

    def subtree(self, level: int, index: int) -> bytes:
        self.keys.add((level, index))
        return _PLACEHOLDER


class _Fetched:
    def __init__(self, hashes: Mapping[tuple[int, int], bytes]) -> None:
        self._hashes = hashes

    def subtree(self, level: int, index: int) -> bytes:
        try:
            return self._hashes[(level, index)]
        except KeyError:
            raise MissingSubtree(f"log_subtrees has no hash at level {level} index {index}") from None


class StoredSubtrees:
    """A SubtreeReader over the table, one SELECT per read (for callers that cannot batch)."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def subtree(self, level: int, index: int) -> bytes:
        return _Fetched(subtree_hashes(self._tx, [(level, index)])).subtree(level, index)


def with_subtrees(tx: Tx, compute: Callable[[Any], T]) -> T:
    """Run `compute(reader)` against the stored subtrees, fetching every hash it needs in one batch.

    `compute` must choose which subtrees to read from sizes and indices alone, never from hash values: true of
    every proof, root and compact-range computation of RFC 9162.
    """
    recorder = _Recorder()
    compute(recorder)
    return compute(_Fetched(subtree_hashes(tx, recorder.keys)))


def _entry(row: Any) -> LogEntry:
    return LogEntry(row.idx, row.kind, row.created_at, row.payload, row.leaf_hash)


def entries(tx: Tx, start: int, end: int) -> list[LogEntry]:
    """Rows with start <= index < end in index order (whatever exists: gaps are the caller's concern)."""
    stmt = (
        select(LogEntryRow).where(LogEntryRow.idx >= start, LogEntryRow.idx < end).order_by(LogEntryRow.idx)
    )
    return [_entry(r) for r in tx.session.scalars(stmt.execution_options(populate_existing=True))]


def iter_entries(tx: Tx, batch: int = 5000) -> Iterator[LogEntry]:
    """Every stored row in index order, paged by key (constant memory; for audits)."""
    after = -1
    while True:
        stmt = select(LogEntryRow).where(LogEntryRow.idx > after).order_by(LogEntryRow.idx).limit(batch)
        rows = [_entry(r) for r in tx.session.scalars(stmt)]
        tx.session.expunge_all()  # an audit of millions of rows must not grow the identity map
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].index


# -- checkpoints -------------------------------------------------------------------------------------------


def _checkpoint(row: LogCheckpointRow) -> StoredCheckpoint:
    return StoredCheckpoint(row.size, row.root, row.note, row.created_at)


def insert_checkpoint(tx: Tx, checkpoint: StoredCheckpoint) -> None:
    values = {"size": checkpoint.size, "root": checkpoint.root, "note": checkpoint.note}
    tx.session.execute(insert(LogCheckpointRow).values(**values, created_at=checkpoint.created_at))


def latest_checkpoint(tx: Tx) -> StoredCheckpoint | None:
    stmt = select(LogCheckpointRow).order_by(LogCheckpointRow.size.desc()).limit(1)
    row = tx.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    return None if row is None else _checkpoint(row)


def get_checkpoint(tx: Tx, size: int) -> StoredCheckpoint | None:
    stmt = select(LogCheckpointRow).where(LogCheckpointRow.size == size)
    row = tx.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    return None if row is None else _checkpoint(row)


def list_checkpoints(tx: Tx) -> list[StoredCheckpoint]:
    stmt = select(LogCheckpointRow).order_by(LogCheckpointRow.size)
    return [_checkpoint(r) for r in tx.session.scalars(stmt.execution_options(populate_existing=True))]


def replace_checkpoint_note(tx: Tx, size: int, note: str) -> None:
    """Store a note carrying more signatures over the same checkpoint text (cosignatures)."""
    tx.session.execute(update(LogCheckpointRow).where(LogCheckpointRow.size == size).values(note=note))
