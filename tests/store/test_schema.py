"""Store contract: migrations are idempotent and match the ORM metadata exactly on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from battrace.store import Store
from battrace.store._orm import Base

from .factories import asset

TABLES = {
    "agreements", "asset_contents", "assets", "contract_definitions", "edr_tokens", "inbox",
    "negotiations", "outbox", "policy_definitions", "seen_jtis", "transfers",
    "log_entries", "log_subtrees", "log_checkpoints", "log_head", "contracts",
    "passport_models", "passports", "passport_events", "passport_measurements", "app_documents",
    "registry_shells", "registry_specific_asset_ids", "registry_asset_id_readers",
    "registry_submodel_descriptors",
}  # fmt: skip
HEAD_REVISION = "0007"


def test_migrate_twice_is_a_no_op_that_keeps_data(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_asset(asset())
    store.migrate()
    engine = store._engine  # the test inspects the schema itself, below the record API
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [HEAD_REVISION]
        assert set(inspect(conn).get_table_names()) == TABLES | {"alembic_version"}
    with store.read() as tx:
        assert tx.get_asset("urn:uuid:asset-1") == asset()


def test_autogenerate_finds_no_difference_between_migrations_and_orm(store: Store) -> None:
    with store._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_orm_metadata_covers_exactly_the_migrated_tables() -> None:
    # Guards the test above against an empty comparison: the ORM must declare every table.
    assert set(Base.metadata.tables) == TABLES


def test_store_for_data_dir_creates_the_directory_and_a_sqlite_file(tmp_path: Path) -> None:
    store = Store.for_data_dir(tmp_path / "deep" / "node")
    try:
        store.migrate()
        assert store.dialect == "sqlite"
        assert (tmp_path / "deep" / "node" / "battrace.db").is_file()
    finally:
        store.dispose()


def test_sqlite_connections_use_wal_and_enforce_foreign_keys(tmp_path: Path) -> None:
    store = Store.for_data_dir(tmp_path)
    try:
        with store._engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
            }
        assert pragma == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 10000, "foreign_keys": 1}
    finally:
        store.dispose()


@pytest.mark.postgres
def test_postgres_store_reports_its_dialect(postgres_url: str) -> None:
    store = Store(postgres_url)
    try:
        assert store.dialect == "postgresql"
    finally:
        store.dispose()


def test_an_unsupported_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database backend"):
        Store("mysql://localhost/battrace")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused_because_each_connection_would_see_its_own_database(url: str) -> None:
    with pytest.raises(ValueError, match="database file"):
        Store(url)


def test_a_sqlite_url_gets_its_directory_created(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/not/yet/there/battrace.db")
    try:
        store.migrate()
        assert (tmp_path / "not" / "yet" / "there" / "battrace.db").is_file()
    finally:
        store.dispose()
