"""Private ORM mapping of the connector records. Records go in and out of the store; rows never leave it.

Column names equal the record field names so conversion is mechanical (see `_convert`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-assigns ids to an INTEGER PRIMARY KEY (rowid alias), not to BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out. SQLite stores naive text, so tzinfo is stripped and re-attached."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive timestamp is ambiguous; guessing its zone would corrupt ordering silently.
            raise ValueError(f"naive datetime {value!r}: the store only accepts timezone-aware timestamps")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonType,
        str: String(),
        bytes: LargeBinary(),
    }


class AssetRow(Base):
    __tablename__ = "assets"
    id: Mapped[str] = mapped_column(primary_key=True)
    properties: Mapped[dict[str, Any]]
    data_address: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(index=True)


class AssetContentRow(Base):
    __tablename__ = "asset_contents"
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    content_type: Mapped[str]
    data: Mapped[bytes]
    sha256: Mapped[str]


class PolicyDefinitionRow(Base):
    __tablename__ = "policy_definitions"
    id: Mapped[str] = mapped_column(primary_key=True)
    policy: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(index=True)


class ContractDefinitionRow(Base):
    __tablename__ = "contract_definitions"
    id: Mapped[str] = mapped_column(primary_key=True)
    access_policy_id: Mapped[str]
    contract_policy_id: Mapped[str]
    # A JSON array of criteria; the record holds it as a tuple.
    assets_selector: Mapped[list[Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(index=True)
    contract_template: Mapped[str | None]
    contract_parameters: Mapped[dict[str, Any] | None]


class NegotiationRow(Base):
    __tablename__ = "negotiations"
    # NULL provider_pids never collide (NULLs are distinct in UNIQUE on SQLite and PostgreSQL).
    __table_args__ = (
        UniqueConstraint("role", "consumer_pid"),
        UniqueConstraint("role", "provider_pid"),
        Index(None, "state", "created_at"),
    )
    id: Mapped[str] = mapped_column(primary_key=True)
    role: Mapped[str]
    state: Mapped[str]
    consumer_pid: Mapped[str]
    provider_pid: Mapped[str | None]
    counterparty_did: Mapped[str]
    counterparty_address: Mapped[str]
    offer: Mapped[dict[str, Any] | None]
    asset_id: Mapped[str | None]
    agreement_id: Mapped[str | None]
    error_detail: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)


class AgreementRow(Base):
    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(primary_key=True)
    negotiation_id: Mapped[str] = mapped_column(index=True)
    asset_id: Mapped[str]
    provider_did: Mapped[str]
    consumer_did: Mapped[str]
    body: Mapped[dict[str, Any]]
    signed_at: Mapped[datetime] = mapped_column(index=True)


class ContractRow(Base):
    __tablename__ = "contracts"
    agreement_id: Mapped[str] = mapped_column(primary_key=True)
    template_id: Mapped[str]
    version: Mapped[str]
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str]
    provider_signature: Mapped[str | None] = mapped_column(Text)
    consumer_signature: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class TransferRow(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        UniqueConstraint("role", "consumer_pid"),
        UniqueConstraint("role", "provider_pid"),
        Index(None, "state", "created_at"),
    )
    id: Mapped[str] = mapped_column(primary_key=True)
    role: Mapped[str]
    state: Mapped[str]
    consumer_pid: Mapped[str]
    provider_pid: Mapped[str | None]
    agreement_id: Mapped[str] = mapped_column(index=True)
    format: Mapped[str]
    counterparty_did: Mapped[str]
    counterparty_address: Mapped[str]
    data_address: Mapped[dict[str, Any] | None]
    error_detail: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)


class EdrTokenRow(Base):
    __tablename__ = "edr_tokens"
    token_hash: Mapped[str] = mapped_column(primary_key=True)
    transfer_id: Mapped[str] = mapped_column(index=True)
    agreement_id: Mapped[str]
    asset_id: Mapped[str]
    consumer_did: Mapped[str]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean)
    jkt: Mapped[str | None]  # RFC 7638 thumbprint of the consumer's key (RFC 9449 §6 cnf.jkt); None: unbound


class OutboxRow(Base):
    __tablename__ = "outbox"
    # due_messages looks up the oldest message per process; next_due_at scans by time.
    __table_args__ = (Index(None, "process_kind", "process_id", "id"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    process_kind: Mapped[str]
    process_id: Mapped[str]
    message_type: Mapped[str]
    url: Mapped[str]
    body: Mapped[dict[str, Any]]
    audience_did: Mapped[str]
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    from_state: Mapped[str | None]


class InboxRow(Base):
    __tablename__ = "inbox"
    key: Mapped[str] = mapped_column(primary_key=True)
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(index=True)


class SeenJtiRow(Base):
    __tablename__ = "seen_jtis"
    issuer: Mapped[str] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# -- transparency log (battrace.store.ledger) ------------------------------------------------------------
# Plain JSON, not JSONB, for payloads: PostgreSQL's json keeps the text as written (jsonb rejects \u0000), and
# the leaf hash is recomputed from it by `battrace log verify`.
PlainJson = JSON()


class LogEntryRow(Base):
    __tablename__ = "log_entries"
    idx: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    kind: Mapped[str]
    created_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(PlainJson)
    leaf_hash: Mapped[bytes]


class LogSubtreeRow(Base):
    """Every complete aligned subtree hash (level 0 = leaf hashes), so a proof costs O(log n) reads."""

    __tablename__ = "log_subtrees"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes]


class LogCheckpointRow(Base):
    __tablename__ = "log_checkpoints"
    size: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    root: Mapped[bytes]
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class LogHeadRow(Base):
    """The single row whose lock serialises appends (SELECT ... FOR UPDATE on PostgreSQL)."""

    __tablename__ = "log_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


# -- battery passports (issue 5) ---------------------------------------------------------------------------
# A model's values are stored once and shared by its items: at the 2030 volume (~90 million passports) most of
# the 93 Annex XIII attributes are per model, so an item row carries only its item-level values.


class PassportModelRow(Base):
    __tablename__ = "passport_models"
    id: Mapped[str] = mapped_column(primary_key=True)
    category: Mapped[str]
    responsible_operator: Mapped[str]
    values: Mapped[dict[str, Any]]
    values_sha256: Mapped[str]
    signature: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class PassportRow(Base):
    __tablename__ = "passports"
    id: Mapped[str] = mapped_column(primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("passport_models.id"), index=True)
    battery_identifier: Mapped[str] = mapped_column(unique=True)
    responsible_operator: Mapped[str]
    mandated: Mapped[dict[str, Any]]  # {"dids": [...]}: parties the operator mandates to write
    state: Mapped[str]
    values: Mapped[dict[str, Any]]  # item-level static values
    values_sha256: Mapped[str]
    signature: Mapped[str] = mapped_column(Text)
    predecessor: Mapped[str | None] = mapped_column(index=True)
    successor: Mapped[str | None]
    issued_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PassportEventRow(Base):
    __tablename__ = "passport_events"
    __table_args__ = (Index(None, "passport_id", "id"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    passport_id: Mapped[str] = mapped_column(ForeignKey("passports.id"))
    event: Mapped[str]
    before: Mapped[str | None]
    after: Mapped[str]
    at: Mapped[datetime]
    actor: Mapped[str]


class PassportMeasurementRow(Base):
    __tablename__ = "passport_measurements"
    __table_args__ = (Index(None, "passport_id", "key", "measured_at"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    passport_id: Mapped[str] = mapped_column(ForeignKey("passports.id"))
    key: Mapped[str]
    value: Mapped[dict[str, Any]]  # {"value": number | text}: JSON keeps numbers and text in one column
    unit: Mapped[str | None]
    measured_at: Mapped[datetime]
    source: Mapped[str]
    writer: Mapped[str]
    recorded_at: Mapped[datetime]


class AppDocumentRow(Base):
    """The applications' own records (footprint inputs, declarations, assessments…): one JSON document per
    (app, kind, id), kept at the node like everything else; the apps give them meaning."""

    __tablename__ = "app_documents"
    app: Mapped[str] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(primary_key=True)
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# The registry's rows live in their own module; importing it here keeps Base.metadata complete for migrations.
from battrace.store import _orm_registry as _orm_registry  # noqa: E402
