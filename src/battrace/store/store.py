"""The store: one SQLAlchemy engine, transactions that speak records, and programmatic Alembic migrations.

SQLite (a file in the node's data dir) by default, PostgreSQL by URL; the same code and migrations for both.
Connector services persist each state change in the same transaction as the outbox message announcing it,
so a node killed with `kill -9` resumes every in-flight process from the database alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Delete, Update, delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from battrace.clock import Clock
from battrace.store._engine import READ_ONLY, make_engine
from battrace.store._orm import OutboxRow
from battrace.store.tx import Tx

_MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision under migrations/versions (tests/store/test_head_revision.py checks it against the
# scripts, so it cannot drift). A database already there skips Alembic entirely: importing it and loading
# the scripts cost ~0.3 s of every start (issue 9 item 6, start time).
HEAD_REVISION = "0007"
# Arbitrary constant: serialises concurrent `migrate()` calls from several processes on PostgreSQL.
_MIGRATION_LOCK_ID = 0x6261747472616365  # "battrace"
log = logging.getLogger("battrace.store")


class Store:
    def __init__(self, url: str) -> None:
        self._engine = make_engine(url)
        self._read_engine = self._engine.execution_options(**{READ_ONLY: True})
        # SQLite has one writer at a time. Threads of this process queue on a Python lock, which hands over
        # at once, instead of on SQLite's busy handler, which sleeps in steps of 1 to 100 ms; other
        # processes on the same file still wait through busy_timeout.
        self._writer: AbstractContextManager[object] = (
            threading.RLock() if self.dialect == "sqlite" else nullcontext()
        )

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Store:
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{(data_dir / 'battrace.db').resolve()}")

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest revision (alembic upgrade head); a no-op when already there."""
        if self.revision() == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self._engine.begin() as conn:
            if self.dialect == "postgresql":
                # Several processes starting at once queue here; each then finds the schema at head.
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def revision(self) -> str | None:
        """The schema revision Alembic recorded; None for a database it never migrated."""
        try:
            with self._engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        except DBAPIError:  # no alembic_version table yet: a new database
            return None

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A write transaction: committed when the block ends normally, rolled back on any exception."""
        with self._writer, Session(self._engine) as session, session.begin():
            yield Tx(session)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read-only transaction; it is always rolled back (PostgreSQL also refuses writes in it)."""
        with Session(self._read_engine) as session:
            session.begin()
            try:
                yield Tx(session, read_only=True)
            finally:
                session.rollback()

    def dispose(self) -> None:
        self._engine.dispose()

    def release_outbox_leases(self, now: datetime, lease: timedelta) -> int:
        """Make every message claimed by a process that is gone due now; how many were released.

        Only `battrace serve` calls this, in its parent process before any worker starts (no claimant can
        be alive then). A retry merely scheduled within `lease` is pulled forward too, which is harmless.
        """
        with self.transaction() as tx:
            stmt = (
                update(OutboxRow)
                .where(OutboxRow.next_attempt_at > now, OutboxRow.next_attempt_at <= now + lease)
                .values(next_attempt_at=now)
            )
            return _rows(tx, stmt)

    def connect(self) -> Connection:
        """A connection of this store's pool, for a caller that holds one for long (`Elected`)."""
        return self._engine.connect()


class Elected:
    """Runs `work` once, in one process among all that serve the same PostgreSQL database.

    The process that takes a PostgreSQL session advisory lock runs it and keeps the lock on a connection of
    its own for as long as it lives; the others try again every `retry_seconds`, so when the holder dies (the
    server ends its session and frees the lock) another one takes over. SQLite has one process per file:
    `work` runs at once.
    """

    def __init__(
        self, store: Store, lock_id: int, work: Callable[[], object], *, retry_seconds: float = 5.0
    ) -> None:
        self._store = store
        self._lock_id = lock_id
        self._work = work
        self._retry = retry_seconds
        self._held: Connection | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def holder(self) -> bool:
        return self._held is not None or self._store.dialect != "postgresql"

    def start(self) -> None:
        # The first attempt is synchronous: the elected process runs `work` before it serves a request.
        if self._store.dialect != "postgresql" or self._try():
            self._work()
            return
        self._thread = threading.Thread(target=self._wait_turn, name="battrace-elected", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._held is not None:
            # Closing the DBAPI connection ends the session and with it the lock; back in the pool it would
            # keep the lock.
            self._held.invalidate()
            self._held.close()
            self._held = None

    def _wait_turn(self) -> None:
        while not self._stopping.wait(self._retry):
            try:
                if self._try():
                    self._work()
                    return
            except Exception:  # the database is away: try again later
                log.exception("election attempt failed")

    def _try(self) -> bool:
        conn = self._store.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": self._lock_id}).scalar())
            conn.commit()  # a session lock outlives the transaction; an idle transaction must not
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._held = conn
        return True


# -- outbox leases: several processes on one PostgreSQL database (docs/decisions/2026-11-24-workers.md) ------
# A lease is the row's `next_attempt_at` moved past now: every dispatcher's due query skips the row until it
# expires, and only one UPDATE can move it from due to leased (PostgreSQL re-checks the WHERE clause of an
# UPDATE that waited for a row lock, READ COMMITTED).


def claim_outbox(tx: Tx, message_id: int, now: datetime, until: datetime) -> bool:
    """Lease a due message to this process until `until`; False if another process holds or settled it."""
    stmt = (
        update(OutboxRow)
        .where(OutboxRow.id == message_id, OutboxRow.next_attempt_at <= now)
        .values(next_attempt_at=until)
    )
    return _rows(tx, stmt) == 1


def renew_outbox_leases(tx: Tx, held: list[tuple[int, int]], until: datetime) -> None:
    """Extend the leases of messages still on the wire, given as (id, attempts when claimed): a slow push
    must not be sent again meanwhile. A message rescheduled for a retry counted an attempt: left alone."""
    for message_id, attempts in held:
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.attempts == attempts)
            .values(next_attempt_at=until)
        )
        _rows(tx, stmt)


def settle_outbox(tx: Tx, message_id: int) -> bool:
    """Delete a delivered (or given-up) message; False if it was already gone (someone else settled it)."""
    return _rows(tx, delete(OutboxRow).where(OutboxRow.id == message_id)) == 1


def _rows(tx: Tx, stmt: Update | Delete) -> int:
    result = tx.session.execute(stmt.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


class DbReplayGuard:
    """The identity layer's ReplayGuard, backed by the store: replays are caught across restarts."""

    def __init__(self, store: Store, *, clock: Clock | None = None) -> None:
        # With a clock, an entry whose expiry has passed no longer blocks (matching MemoryReplayGuard).
        self._store = store
        self._clock = clock

    def check_and_record(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """True the first time (issuer, jti) is seen, False for a replay (own short transaction)."""
        now = None if self._clock is None else self._clock()
        with self._store.transaction() as tx:
            return tx.record_jti(issuer, jti, expires_at, now)
