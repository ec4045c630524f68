"""The store: one SQLAlchemy engine, transactions that speak records, and programmatic Alembic migrations.

SQLite (a file in the node's data dir) by default, PostgreSQL by URL; the same code and migrations for both.
Connector services persist each state change in the same transaction as the outbox message announcing it,
so a node killed with `kill -9` resumes every in-flight process from the database alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session

from battrace.clock import Clock
from battrace.store._engine import READ_ONLY, make_engine
from battrace.store.tx import Tx

_MIGRATIONS = Path(__file__).parent / "migrations"
# Arbitrary constant: serialises concurrent `migrate()` calls from several processes on PostgreSQL.
_MIGRATION_LOCK_ID = 0x6261747472616365  # "battrace"


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
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self._engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

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
