"""EDR tokens bound to the consumer's key: the RFC 7638 thumbprint a DPoP proof must match (RFC 9449 §6).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: tokens minted before this revision are unbound; a node that requires DPoP refuses them (they
    # expire within `edr_token_ttl`, and a new transfer mints a bound one).
    with op.batch_alter_table("edr_tokens") as batch:
        batch.add_column(sa.Column("jkt", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("edr_tokens") as batch:
        batch.drop_column("jkt")
