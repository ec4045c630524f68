"""Persistence of connector records (SQLAlchemy 2 + Alembic; SQLite by default, PostgreSQL by URL)."""

from battrace.store.store import DbReplayGuard, Store
from battrace.store.tx import INBOX_RETENTION, ConcurrentUpdate, Tx

__all__ = ["INBOX_RETENTION", "ConcurrentUpdate", "DbReplayGuard", "Store", "Tx"]
