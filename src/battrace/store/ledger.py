"""Persistence of the transparency log: entries, complete subtree hashes, checkpoints and the head row.

Functions take the caller's `Tx`, so a log append commits or rolls back together with the business change it
records. Nothing here updates or deletes an entry or a subtree hash (the 0002 migration adds triggers that
refuse it); the only UPDATEs are the head moving forward and a checkpoint note gaining cosignatures.

Subtree reads are batched: the Merkle algorithms touch a data-independent set of (level, index) coordinates,
so `with_subtrees` runs the computation once against a recorder to learn them, fetches them all in one
SELECT, and runs it again against the fetched hashes. A proof at 10^7 entries is one round trip, not forty.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Dialect, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from battrace.store._orm import LogCheckpointRow, LogEntryRow, LogHeadRow
from battrace.store.tx import Tx

T = TypeVar("T")
Node = tuple[int, int, bytes]  # (level, index, hash) of a complete aligned subtree
Key = tuple[int, int]  # (level, index)
_HEAD_ID = 1
_PLACEHOLDER = bytes(32)
_ENTRIES = cast(Table, LogEntryRow.__table__)


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
    # On the driver's cursor: every proof starts here, and the ORM statement cost more than the query.
    cur = _driver(tx.session.connection()).cursor()
    try:
        cur.execute(f"SELECT size FROM log_head WHERE id = {_HEAD_ID}")
        row = cur.fetchone()
    finally:
        cur.close()
    return 0 if row is None else int(row[0])


def set_head(tx: Tx, size: int) -> None:
    tx.session.execute(update(LogHeadRow).where(LogHeadRow.id == _HEAD_ID).values(size=size))


# -- entries and subtrees ----------------------------------------------------------------------------------


def _stamper(dialect: Dialect) -> Callable[[datetime], Any]:
    """`created_at` as the column type would bind it (UTC, naive text on SQLite), converted once per value:
    a batch shares one timestamp, and the type's processor is the costliest per-row step left."""
    process = _ENTRIES.c.created_at.type.bind_processor(dialect)
    memo: dict[datetime, Any] = {}

    def stamp(value: datetime) -> Any:
        bound = memo.get(value)
        if bound is None:
            bound = memo[value] = value if process is None else process(value)
        return bound

    return stamp


def _driver(conn: Connection) -> Any:
    """The DBAPI connection under `conn` (sqlite3 or psycopg): same transaction, no SQLAlchemy layers."""
    raw = conn.connection.driver_connection
    if raw is None:  # only after the connection was closed or invalidated
        raise RuntimeError("the database connection is closed")
    return raw


def _bulk_insert(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Rows straight to the driver, inside the session's transaction.

    The log writes ~3 rows per entry; SQLAlchemy's per-row parameter processing cost 3-4x the database work,
    so the hot path bypasses it. PostgreSQL: COPY (about 5x an executemany of INSERTs). SQLite: executemany
    of one prepared INSERT. The values are already what the column types would bind (see `_stamper`); the
    payload is the canonical text we hashed, stored byte-identical to the leaf data (PostgreSQL's json type
    keeps the text as written).
    """
    raw = _driver(conn)
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cur = raw.cursor()
    try:
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
    finally:
        cur.close()


def insert_entries(tx: Tx, entries: Sequence[NewEntry]) -> None:
    if not entries:
        return
    conn = tx.session.connection()
    stamp = _stamper(conn.dialect)
    rows = ((e.index, e.kind, stamp(e.created_at), e.data, e.leaf_hash) for e in entries)
    _bulk_insert(conn, "log_entries", ("idx", "kind", "created_at", "payload", "leaf_hash"), rows)


def insert_subtrees(tx: Tx, nodes: Sequence[Node]) -> None:
    if nodes:
        _bulk_insert(tx.session.connection(), "log_subtrees", ("level", "idx", "hash"), nodes)


def subtree_hashes(tx: Tx, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes at `keys` (those that exist), fetched on the driver's own cursor.

    The SQLAlchemy expression this replaced cost ~2 ms to build and compile per proof, far more than the
    lookups themselves (~0.1 ms for the ~2 log2(n) keys of a proof); the SQL here is a plain string that the
    drivers keep prepared.
    """
    if not keys:
        return {}
    conn = tx.session.connection()
    postgres = conn.dialect.name == "postgresql"
    found: dict[tuple[int, int], bytes] = {}
    cur = _driver(conn).cursor()
    try:
        ordered = list(keys)
        step = len(ordered) if postgres else _SQLITE_UNION
        for start in range(0, len(ordered), step):
            cur.execute(*(_pg_lookup if postgres else _sqlite_lookup)(ordered[start : start + step]))
            found.update(((lv, i), bytes(h)) for lv, i, h in cur.fetchall())
    finally:
        cur.close()
    return found


# Point lookups per SELECT on SQLite: below its 500-term compound-SELECT limit and 32 766 bound parameters.
_SQLITE_UNION = 200
_SQLITE_POINT = "SELECT level, idx, hash FROM log_subtrees WHERE level = ? AND idx = ?"


def _sqlite_lookup(keys: Sequence[tuple[int, int]]) -> tuple[str, list[int]]:
    # A UNION ALL of primary-key point lookups: 3-4x faster than "level = ? AND idx IN (...)" terms joined by
    # OR (SQLite plans that as a MULTI-INDEX OR with a temporary b-tree to drop duplicates) and, unlike a
    # row-value IN, never a table scan.
    return " UNION ALL ".join([_SQLITE_POINT] * len(keys)), [x for key in keys for x in key]


def _pg_lookup(keys: Sequence[tuple[int, int]]) -> tuple[str, list[list[int]]]:
    # One fixed text for any key set (psycopg prepares it after a few uses); the join walks the primary key.
    sql = (
        "SELECT s.level, s.idx, s.hash FROM log_subtrees s"
        " JOIN unnest(%s::integer[], %s::bigint[]) AS k(level, idx)"
        " ON s.level = k.level AND s.idx = k.idx"
    )
    return sql, [[lv for lv, _ in keys], [i for _, i in keys]]


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


def with_head_and_subtrees(tx: Tx, compute: Callable[[Any], T], check_head: Callable[[int], None]) -> T:
    """`with_subtrees` for readers: the committed head is read together with the hashes and handed to
    `check_head` (which raises to refuse the request) before `compute` sees them.

    On PostgreSQL the two reads share one round trip, a quarter of a proof's latency on a loaded server.
    """
    recorder = _Recorder()
    compute(recorder)
    conn = tx.session.connection()
    if conn.dialect.name != "postgresql":  # SQLite: in-process, two statements cost nothing extra
        head, hashes = read_head(tx), subtree_hashes(tx, recorder.keys)
    else:
        head, hashes = _pg_head_and_subtrees(conn, list(recorder.keys))
    check_head(head)
    return compute(_Fetched(hashes))


def _pg_head_and_subtrees(conn: Connection, keys: Sequence[tuple[int, int]]) -> tuple[int, dict[Key, bytes]]:
    sql, params = _pg_lookup(keys)
    # The head rides along as a row at level -1 (no subtree has a negative level).
    sql += f" UNION ALL SELECT -1, size, NULL FROM log_head WHERE id = {_HEAD_ID}"
    head, found = 0, {}
    with _driver(conn).cursor() as cur:
        for level, index, h in cur.execute(sql, params).fetchall():
            if level < 0:
                head = int(index)
            else:
                found[(level, index)] = bytes(h)
    return head, found


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
