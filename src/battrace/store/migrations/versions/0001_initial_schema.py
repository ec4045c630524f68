"""Initial schema: catalogue, negotiations, agreements, transfers, EDR tokens, outbox, inbox, jti.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Self-contained types: a migration must not change meaning when battrace.store._orm evolves.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)  # stored as naive UTC on SQLite (see _orm.UtcDateTime)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite assigns ids only to INTEGER PKs

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("negotiation_id", sa.String(), nullable=False),
        sa.Column("asset_id", sa.String(), nullable=False),
        sa.Column("provider_did", sa.String(), nullable=False),
        sa.Column("consumer_did", sa.String(), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("signed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    op.create_index(op.f("ix_agreements_negotiation_id"), "agreements", ["negotiation_id"])
    op.create_index(op.f("ix_agreements_signed_at"), "agreements", ["signed_at"])

    op.create_table(
        "assets",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("properties", JSON, nullable=False),
        sa.Column("data_address", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index(op.f("ix_assets_created_at"), "assets", ["created_at"])

    op.create_table(
        "contract_definitions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("access_policy_id", sa.String(), nullable=False),
        sa.Column("contract_policy_id", sa.String(), nullable=False),
        sa.Column("assets_selector", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_definitions")),
    )
    op.create_index(op.f("ix_contract_definitions_created_at"), "contract_definitions", ["created_at"])

    op.create_table(
        "edr_tokens",
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("transfer_id", sa.String(), nullable=False),
        sa.Column("agreement_id", sa.String(), nullable=False),
        sa.Column("asset_id", sa.String(), nullable=False),
        sa.Column("consumer_did", sa.String(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_edr_tokens")),
    )
    op.create_index(op.f("ix_edr_tokens_transfer_id"), "edr_tokens", ["transfer_id"])

    op.create_table(
        "inbox",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", JSON, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_inbox")),
    )
    op.create_index(op.f("ix_inbox_created_at"), "inbox", ["created_at"])

    op.create_table(
        "negotiations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("consumer_pid", sa.String(), nullable=False),
        sa.Column("provider_pid", sa.String(), nullable=True),
        sa.Column("counterparty_did", sa.String(), nullable=False),
        sa.Column("counterparty_address", sa.String(), nullable=False),
        sa.Column("offer", JSON, nullable=True),
        sa.Column("asset_id", sa.String(), nullable=True),
        sa.Column("agreement_id", sa.String(), nullable=True),
        sa.Column("error_detail", sa.String(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_negotiations")),
        sa.UniqueConstraint("role", "consumer_pid", name=op.f("uq_negotiations_role_consumer_pid")),
        sa.UniqueConstraint("role", "provider_pid", name=op.f("uq_negotiations_role_provider_pid")),
    )
    op.create_index(op.f("ix_negotiations_created_at"), "negotiations", ["created_at"])
    op.create_index(op.f("ix_negotiations_state_created_at"), "negotiations", ["state", "created_at"])

    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("process_kind", sa.String(), nullable=False),
        sa.Column("process_id", sa.String(), nullable=False),
        sa.Column("message_type", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("audience_did", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        # Ids must never be reused: the dispatcher settles a delivery by id, and a reused id would make a
        # late settlement delete a newer message (SQLite reuses the highest rowid without AUTOINCREMENT).
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_outbox_next_attempt_at"), "outbox", ["next_attempt_at"])
    op.create_index(
        op.f("ix_outbox_process_kind_process_id_id"), "outbox", ["process_kind", "process_id", "id"]
    )

    op.create_table(
        "policy_definitions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("policy", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_definitions")),
    )
    op.create_index(op.f("ix_policy_definitions_created_at"), "policy_definitions", ["created_at"])

    op.create_table(
        "seen_jtis",
        sa.Column("issuer", sa.String(), nullable=False),
        sa.Column("jti", sa.String(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti", name=op.f("pk_seen_jtis")),
    )
    op.create_index(op.f("ix_seen_jtis_expires_at"), "seen_jtis", ["expires_at"])

    op.create_table(
        "transfers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("consumer_pid", sa.String(), nullable=False),
        sa.Column("provider_pid", sa.String(), nullable=True),
        sa.Column("agreement_id", sa.String(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("counterparty_did", sa.String(), nullable=False),
        sa.Column("counterparty_address", sa.String(), nullable=False),
        sa.Column("data_address", JSON, nullable=True),
        sa.Column("error_detail", sa.String(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
        sa.UniqueConstraint("role", "consumer_pid", name=op.f("uq_transfers_role_consumer_pid")),
        sa.UniqueConstraint("role", "provider_pid", name=op.f("uq_transfers_role_provider_pid")),
    )
    op.create_index(op.f("ix_transfers_agreement_id"), "transfers", ["agreement_id"])
    op.create_index(op.f("ix_transfers_created_at"), "transfers", ["created_at"])
    op.create_index(op.f("ix_transfers_state_created_at"), "transfers", ["state", "created_at"])

    op.create_table(
        "asset_contents",
        sa.Column("asset_id", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_contents_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_asset_contents")),
    )


def downgrade() -> None:
    op.drop_table("asset_contents")
    op.drop_table("transfers")
    op.drop_table("seen_jtis")
    op.drop_table("policy_definitions")
    op.drop_table("outbox")
    op.drop_table("negotiations")
    op.drop_table("inbox")
    op.drop_table("edr_tokens")
    op.drop_table("contract_definitions")
    op.drop_table("assets")
    op.drop_table("agreements")
