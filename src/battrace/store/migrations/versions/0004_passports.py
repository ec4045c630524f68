"""Battery passports: models (values shared by their items), items, status timeline, dynamic-data series.

Revision ID: 0004
Revises: 0003
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

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "passport_models",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("responsible_operator", sa.String(), nullable=False),
        sa.Column("values", JSON, nullable=False),
        sa.Column("values_sha256", sa.String(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passport_models")),
    )
    op.create_table(
        "passports",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("model_id", sa.String(), nullable=False),
        sa.Column("battery_identifier", sa.String(), nullable=False),
        sa.Column("responsible_operator", sa.String(), nullable=False),
        sa.Column("mandated", JSON, nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("values", JSON, nullable=False),
        sa.Column("values_sha256", sa.String(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("predecessor", sa.String(), nullable=True),
        sa.Column("successor", sa.String(), nullable=True),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["passport_models.id"], name=op.f("fk_passports_model_id_passport_models")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passports")),
        sa.UniqueConstraint("battery_identifier", name=op.f("uq_passports_battery_identifier")),
    )
    op.create_index(op.f("ix_passports_model_id"), "passports", ["model_id"])
    op.create_index(op.f("ix_passports_predecessor"), "passports", ["predecessor"])
    op.create_table(
        "passport_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("passport_id", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("before", sa.String(), nullable=True),
        sa.Column("after", sa.String(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["passport_id"], ["passports.id"], name=op.f("fk_passport_events_passport_id_passports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passport_events")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_passport_events_passport_id_id"), "passport_events", ["passport_id", "id"])
    op.create_table(
        "passport_measurements",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("passport_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("unit", sa.String(), nullable=True),
        sa.Column("measured_at", TIMESTAMP, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("writer", sa.String(), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["passport_id"],
            ["passports.id"],
            name=op.f("fk_passport_measurements_passport_id_passports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passport_measurements")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_passport_measurements_passport_id_key_measured_at"),
        "passport_measurements",
        ["passport_id", "key", "measured_at"],
    )


def downgrade() -> None:
    op.drop_table("passport_measurements")
    op.drop_table("passport_events")
    op.drop_table("passports")
    op.drop_table("passport_models")
