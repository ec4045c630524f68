"""Engine construction: the per-backend settings that make one code path safe on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url

# Execution option set on the engine used by `Store.read()`.
READ_ONLY = "battrace_read_only"


def _json_default(value: object) -> Any:
    # Records may hold read-only mappings (e.g. MappingProxyType); JSON wants plain dicts.
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps = partial(json.dumps, default=_json_default, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _prepare_sqlite_file(parsed.database)
        engine = create_engine(url, json_serializer=_dumps)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        engine = create_engine(
            url, json_serializer=_dumps, pool_size=5, max_overflow=10, pool_pre_ping=True, pool_recycle=1800
        )
        _configure_postgres(engine)
        return engine
    raise ValueError(f"unsupported database backend {backend!r} (sqlite or postgresql)")


def _prepare_sqlite_file(database: str | None) -> None:
    if not database or database == ":memory:":
        # Every pooled connection would get its own empty in-memory database: writes would vanish.
        raise ValueError("SQLite needs a database file (sqlite:///path/battrace.db), not :memory:")
    if not database.startswith("file:"):  # URI filenames are the caller's business
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that we issue BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in (
                "journal_mode=WAL",  # readers never block the writer
                "synchronous=NORMAL",  # durable across process crashes (kill -9) in WAL mode
                "busy_timeout=10000",
                "foreign_keys=ON",
            ):
                cursor.execute(f"PRAGMA {pragma}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes must upgrade its lock; two threads doing so
        # deadlock and one gets SQLITE_BUSY immediately, busy_timeout notwithstanding. Writers therefore
        # take the write lock up front; readers stay deferred so WAL lets them run concurrently.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def _configure_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY, False):
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
