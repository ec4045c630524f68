"""Transparency log: entries, complete subtree hashes, signed checkpoints, and the append-lock head row.

Triggers make the history append-only at the database level too: UPDATE and DELETE of log entries and subtree
hashes are refused, a checkpoint may only gain signatures (its size and root never change, it is never
deleted), and the head never moves backwards. Someone with raw SQL access can still drop the triggers; that is
what `battrace log verify` and the signed checkpoints are for. (PostgreSQL's TRUNCATE does not fire row
triggers; the test suite relies on that to empty the tables between tests.)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Self-contained types: a migration must not change meaning when battrace.store._orm evolves.
TIMESTAMP = sa.DateTime(timezone=True)  # stored as naive UTC on SQLite (see _orm.UtcDateTime)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PRIMARY KEY = the rowid on SQLite

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (trigger name, table, SQLite condition/event, PostgreSQL event, PostgreSQL condition, message)
_GUARDS = (
    ("log_entries_no_update", "log_entries", "UPDATE", "UPDATE", "TRUE", "log_entries is append-only"),
    ("log_entries_no_delete", "log_entries", "DELETE", "DELETE", "TRUE", "log_entries is append-only"),
    ("log_subtrees_no_update", "log_subtrees", "UPDATE", "UPDATE", "TRUE", "log_subtrees is append-only"),
    ("log_subtrees_no_delete", "log_subtrees", "DELETE", "DELETE", "TRUE", "log_subtrees is append-only"),
    (
        "log_checkpoints_fixed",
        "log_checkpoints",
        "UPDATE OF size, root",
        "UPDATE",
        "NEW.size <> OLD.size OR NEW.root <> OLD.root",
        "checkpoint size and root never change",
    ),
    ("log_checkpoints_kept", "log_checkpoints", "DELETE", "DELETE", "TRUE", "checkpoints are never deleted"),
    ("log_head_forward", "log_head", "UPDATE", "UPDATE", "NEW.size < OLD.size", "the log head never shrinks"),
)


def upgrade() -> None:
    op.create_table(
        "log_entries",
        sa.Column("idx", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_log_entries")),
    )
    op.create_table(
        "log_subtrees",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_log_subtrees")),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("size", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_log_checkpoints")),
    )
    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_head")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guards()
    else:
        _sqlite_guards()


def _sqlite_guards() -> None:
    for name, table, event, _, condition, message in _GUARDS:
        when = "" if condition == "TRUE" else f" WHEN {condition}"
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{when}"
            f" BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def _postgres_guards() -> None:
    for name, table, _, event, condition, message in _GUARDS:
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF {condition} THEN RAISE EXCEPTION '{message}'; END IF;"
            f" IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
        )
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, *_ in _GUARDS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    for table in ("log_head", "log_checkpoints", "log_subtrees", "log_entries"):
        op.drop_table(table)
