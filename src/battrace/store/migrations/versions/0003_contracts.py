"""Contracts from templates: a contract definition may name a template and its parameters; every agreement
made under such a definition has its rendered contract and the parties' signatures in ``contracts``.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Self-contained types: a migration must not change meaning when battrace.store._orm evolves.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)  # stored as naive UTC on SQLite (see _orm.UtcDateTime)

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER TABLE ADD COLUMN with every option; the batch copies when it must.
    with op.batch_alter_table("contract_definitions") as batch:
        batch.add_column(sa.Column("contract_template", sa.String(), nullable=True))
        batch.add_column(sa.Column("contract_parameters", JSON, nullable=True))
    op.create_table(
        "contracts",
        sa.Column("agreement_id", sa.String(), nullable=False),
        sa.Column("template_id", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("provider_signature", sa.Text(), nullable=True),
        sa.Column("consumer_signature", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", name=op.f("pk_contracts")),
    )


def downgrade() -> None:
    op.drop_table("contracts")
    with op.batch_alter_table("contract_definitions") as batch:
        batch.drop_column("contract_parameters")
        batch.drop_column("contract_template")
