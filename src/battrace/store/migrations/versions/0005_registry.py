"""Digital twin registry: shells, their specificAssetIds (owner index), readers (partner index), submodels.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Self-contained types: a migration must not change meaning when battrace.store._orm evolves.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)  # stored as naive UTC on SQLite (see _orm.UtcDateTime)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _shell_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["shell_pk"],
        ["registry_shells.pk"],
        name=op.f(f"fk_{table}_shell_pk_registry_shells"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "registry_shells",
        sa.Column("pk", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("aas_id", sa.String(), nullable=False),
        sa.Column("global_asset_id", sa.String(), nullable=True),
        sa.Column("asset_kind", sa.String(), nullable=True),
        sa.Column("asset_type", sa.String(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("descriptor", JSON, nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_registry_shells")),
        sa.UniqueConstraint("aas_id", name=op.f("uq_registry_shells_aas_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_registry_shells_global_asset_id"), "registry_shells", ["global_asset_id"])
    op.create_table(
        "registry_specific_asset_ids",
        sa.Column("pk", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("shell_pk", BIG_ID, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("external_subject_ids", JSON, nullable=False),
        _shell_fk("registry_specific_asset_ids"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_registry_specific_asset_ids")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_registry_specific_asset_ids_name_value_shell_pk"),
        "registry_specific_asset_ids",
        ["name", "value", "shell_pk"],
    )
    op.create_index(
        op.f("ix_registry_specific_asset_ids_shell_pk"), "registry_specific_asset_ids", ["shell_pk"]
    )
    op.create_table(
        "registry_asset_id_readers",
        sa.Column("pk", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("shell_pk", BIG_ID, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("reader", sa.String(), nullable=False),
        _shell_fk("registry_asset_id_readers"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_registry_asset_id_readers")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_registry_asset_id_readers_name_value_reader_shell_pk"),
        "registry_asset_id_readers",
        ["name", "value", "reader", "shell_pk"],
    )
    op.create_index(
        op.f("ix_registry_asset_id_readers_shell_pk_reader"),
        "registry_asset_id_readers",
        ["shell_pk", "reader"],
    )
    op.create_table(
        "registry_submodel_descriptors",
        sa.Column("pk", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("shell_pk", BIG_ID, nullable=False),
        sa.Column("submodel_id", sa.String(), nullable=False),
        sa.Column("descriptor", JSON, nullable=False),
        _shell_fk("registry_submodel_descriptors"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_registry_submodel_descriptors")),
        sa.UniqueConstraint(
            "shell_pk", "submodel_id", name=op.f("uq_registry_submodel_descriptors_shell_pk_submodel_id")
        ),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("registry_submodel_descriptors")
    op.drop_table("registry_asset_id_readers")
    op.drop_table("registry_specific_asset_ids")
    op.drop_table("registry_shells")
