"""Shared fixtures. `store` runs every store test against SQLite and the real PostgreSQL server.

PostgreSQL: the server URL comes from BATTRACE_TEST_POSTGRES_URL (default: local trust auth). Each test
session creates its own uniquely named database and drops it at the end, so concurrent runs never collide.
An unreachable server skips the PostgreSQL tests, except under CI=true where it fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from battrace.store import Store
from battrace.store._orm import Base

# CI runs the property tests with a fixed seed so that a red build is reproducible and never flaky;
# locally they keep exploring new examples (a failure prints its reproduction blob).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL required under CI=true: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@contextmanager
def _fresh_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database with a unique name, dropped (connections and all) afterwards."""
    server = make_url(os.environ.get("BATTRACE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        _unavailable(str(exc.orig))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database private to this test session."""
    with _fresh_database("battrace_test") as url:
        yield url


@pytest.fixture()
def fresh_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (e.g. a node served by several worker processes)."""
    with _fresh_database("battrace_it") as url:
        yield url


@pytest.fixture(scope="session")
def _migrated_postgres(postgres_url: str) -> str:
    store = Store(postgres_url)
    store.migrate()
    store.dispose()
    return postgres_url


def _empty_postgres_store(url: str) -> Store:
    # Tables are truncated rather than the database recreated per test: seconds, not minutes.
    engine = create_engine(url)
    with engine.begin() as conn:
        # every table the ORM declares, so a new table is emptied between tests without editing this list
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
    engine.dispose()
    return Store(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty Store on each backend."""
    if request.param == "sqlite":
        instance = Store.for_data_dir(tmp_path / "node")
        instance.migrate()
    else:
        instance = _empty_postgres_store(request.getfixturevalue("_migrated_postgres"))
    try:
        yield instance
    finally:
        instance.dispose()
