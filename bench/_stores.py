"""Fresh stores for the benchmarks: a temporary SQLite file, or a throwaway PostgreSQL database
(`battrace_bench_<random>`, dropped afterwards, `WITH (FORCE)`: PostgreSQL >= 13 and a role that may create
databases). Both report the database size when they close, so a run also tells the bytes per record."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from battrace.store import Store


@contextmanager
def sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.for_data_dir(Path(tmp))
        store.migrate()
        try:
            yield store
        finally:
            store.dispose()
            size = sum(f.stat().st_size for f in Path(tmp).glob("battrace.db*"))
            print(f"  SQLite database {size / 1e6:,.1f} MB (with WAL)")


@contextmanager
def postgres_store(server_url: str) -> Iterator[Store]:
    server = make_url(server_url)
    name = f"battrace_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(server.set(database=name).render_as_string(hide_password=False))
    try:
        store.migrate()
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            size = conn.execute(text(f"SELECT pg_database_size('{name}')")).scalar_one()
            print(f"  PostgreSQL database {int(size) / 1e6:,.1f} MB")
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
