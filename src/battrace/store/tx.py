"""One database transaction, speaking records: `Store.transaction()` / `Store.read()` hand out a `Tx`.

Every statement is an explicit INSERT/SELECT/UPDATE/DELETE and every SELECT refreshes from the database
(`populate_existing`), so the ORM identity map can never hand back a stale row after an UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import CursorResult, Delete, Select, Update, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from battrace.connector.records import (
    Agreement,
    Asset,
    AssetContent,
    Contract,
    ContractDefinition,
    EdrToken,
    InboxRecord,
    Negotiation,
    OutboxMessage,
    PolicyDefinition,
    Transfer,
)
from battrace.errors import Conflict, InvalidInput, NotFound
from battrace.store._orm import (
    AgreementRow,
    AssetContentRow,
    AssetRow,
    ContractDefinitionRow,
    ContractRow,
    EdrTokenRow,
    InboxRow,
    NegotiationRow,
    OutboxRow,
    PolicyDefinitionRow,
    SeenJtiRow,
    TransferRow,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
Process = TypeVar("Process", Negotiation, Transfer)
ProcessRow = type[NegotiationRow] | type[TransferRow]

# How long a remembered response is kept for retried inbound messages (DSP peers retry for minutes, not days).
INBOX_RETENTION = timedelta(days=7)


class ConcurrentUpdate(Conflict):
    """Optimistic-lock failure: the row changed (or vanished) since the caller read it."""

    title = "Concurrent update"


def _values(record: DataclassInstance) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _record(cls: type[R], row: Any) -> R:
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


def _contract_definition(row: ContractDefinitionRow) -> ContractDefinition:
    return replace(_record(ContractDefinition, row), assets_selector=tuple(row.assets_selector))


class Tx:
    """Record-level operations inside one transaction. Not thread-safe: one Tx per thread."""

    def __init__(self, session: Session, *, read_only: bool = False) -> None:
        self._s = session
        self._read_only = read_only

    @property
    def session(self) -> Session:
        """The SQLAlchemy session, for store modules beside this one (battrace.store.ledger)."""
        return self._s

    # -- plumbing -------------------------------------------------------------------------------------------

    @contextmanager
    def _unique(self, what: str) -> Iterator[None]:
        # The savepoint keeps the outer transaction usable after a violation (PostgreSQL would otherwise
        # abort it), so a caller may catch Conflict and carry on.
        try:
            with self._s.begin_nested():
                yield
        except IntegrityError as exc:
            raise Conflict(f"{what} already exists") from exc

    def _insert(self, row_cls: type[Any], record: DataclassInstance, what: str) -> None:
        with self._unique(what):
            self._s.execute(insert(row_cls).values(**_values(record)))

    def _one(self, stmt: Select[Any]) -> Any:
        return self._s.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def _page(self, stmt: Select[Any], offset: int, limit: int) -> list[Any]:
        if offset < 0 or limit < 0:
            raise InvalidInput(f"offset and limit must not be negative (got {offset}, {limit})")
        stmt = stmt.offset(offset).limit(limit).execution_options(populate_existing=True)
        return list(self._s.scalars(stmt))

    def _locked(self, stmt: Select[Any], for_update: bool) -> Select[Any]:
        # A row lock guards a later write; a read-only transaction has none (and PostgreSQL refuses
        # SELECT ... FOR UPDATE in one). SQLite ignores FOR UPDATE: BEGIN IMMEDIATE serialises writers.
        return stmt.with_for_update() if for_update and not self._read_only else stmt

    def _rows(self, stmt: Update | Delete) -> int:
        """Run an UPDATE/DELETE and return how many rows it touched (no identity-map synchronisation)."""
        result = self._s.execute(stmt.execution_options(synchronize_session=False))
        return int(cast(CursorResult[Any], result).rowcount)

    def _delete(self, row_cls: type[Any], key: str) -> bool:
        return self._rows(delete(row_cls).where(row_cls.id == key)) == 1

    # -- assets ---------------------------------------------------------------------------------------------

    def add_asset(self, asset: Asset, content: AssetContent | None = None) -> None:
        if content is not None and content.asset_id != asset.id:
            raise InvalidInput(f"content belongs to asset {content.asset_id!r}, not {asset.id!r}")
        self._insert(AssetRow, asset, f"asset {asset.id!r}")
        if content is not None:
            self._insert(AssetContentRow, content, f"content of asset {asset.id!r}")

    def get_asset(self, asset_id: str) -> Asset | None:
        row = self._one(select(AssetRow).where(AssetRow.id == asset_id))
        return None if row is None else _record(Asset, row)

    def get_asset_content(self, asset_id: str) -> AssetContent | None:
        row = self._one(select(AssetContentRow).where(AssetContentRow.asset_id == asset_id))
        return None if row is None else _record(AssetContent, row)

    def list_assets(self, offset: int = 0, limit: int = 50) -> list[Asset]:
        rows = self._page(select(AssetRow).order_by(AssetRow.created_at, AssetRow.id), offset, limit)
        return [_record(Asset, r) for r in rows]

    def delete_asset(self, asset_id: str) -> bool:
        # Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only with foreign_keys=ON.
        self._rows(delete(AssetContentRow).where(AssetContentRow.asset_id == asset_id))
        return self._delete(AssetRow, asset_id)

    # -- policy definitions ---------------------------------------------------------------------------------

    def add_policy_definition(self, definition: PolicyDefinition) -> None:
        self._insert(PolicyDefinitionRow, definition, f"policy definition {definition.id!r}")

    def get_policy_definition(self, policy_id: str) -> PolicyDefinition | None:
        row = self._one(select(PolicyDefinitionRow).where(PolicyDefinitionRow.id == policy_id))
        return None if row is None else _record(PolicyDefinition, row)

    def list_policy_definitions(self, offset: int = 0, limit: int = 50) -> list[PolicyDefinition]:
        stmt = select(PolicyDefinitionRow).order_by(PolicyDefinitionRow.created_at, PolicyDefinitionRow.id)
        return [_record(PolicyDefinition, r) for r in self._page(stmt, offset, limit)]

    def delete_policy_definition(self, policy_id: str) -> bool:
        return self._delete(PolicyDefinitionRow, policy_id)

    # -- contract definitions -------------------------------------------------------------------------------

    def add_contract_definition(self, definition: ContractDefinition) -> None:
        self._insert(ContractDefinitionRow, definition, f"contract definition {definition.id!r}")

    def get_contract_definition(self, definition_id: str) -> ContractDefinition | None:
        row = self._one(select(ContractDefinitionRow).where(ContractDefinitionRow.id == definition_id))
        return None if row is None else _contract_definition(row)

    def list_contract_definitions(self, offset: int = 0, limit: int = 50) -> list[ContractDefinition]:
        stmt = select(ContractDefinitionRow).order_by(
            ContractDefinitionRow.created_at, ContractDefinitionRow.id
        )
        return [_contract_definition(r) for r in self._page(stmt, offset, limit)]

    def delete_contract_definition(self, definition_id: str) -> bool:
        return self._delete(ContractDefinitionRow, definition_id)

    # -- negotiations and transfers (optimistically locked processes) ---------------------------------------

    def _get_process(
        self, row_cls: ProcessRow, cls: type[Process], key: str, for_update: bool
    ) -> Process | None:
        stmt = select(row_cls).where(row_cls.id == key)
        row = self._one(self._locked(stmt, for_update))
        return None if row is None else _record(cls, row)

    def _find_process(
        self,
        row_cls: ProcessRow,
        cls: type[Process],
        role: str,
        pids: tuple[str | None, str | None],
        for_update: bool,
    ) -> Process | None:
        consumer_pid, provider_pid = pids
        if consumer_pid is None and provider_pid is None:
            raise ValueError("find by consumer_pid, provider_pid or both")
        stmt = select(row_cls).where(row_cls.role == role)
        if consumer_pid is not None:
            stmt = stmt.where(row_cls.consumer_pid == consumer_pid)
        if provider_pid is not None:
            stmt = stmt.where(row_cls.provider_pid == provider_pid)
        row = self._one(self._locked(stmt, for_update))
        return None if row is None else _record(cls, row)

    def _update_process(self, row_cls: ProcessRow, record: Process, kind: str) -> Process:
        values = _values(record)
        for immutable in ("id", "created_at", "version"):
            del values[immutable]
        stmt = (
            update(row_cls)
            .where(row_cls.id == record.id, row_cls.version == record.version)
            .values(**values, version=record.version + 1)
        )
        if self._rows(stmt) != 1:
            raise ConcurrentUpdate(
                f"{kind} {record.id!r} was changed or removed since version {record.version} was read"
            )
        return replace(record, version=record.version + 1)

    def _list_process(
        self, row_cls: ProcessRow, cls: type[Process], offset: int, limit: int, state: str | None
    ) -> list[Process]:
        stmt = select(row_cls).order_by(row_cls.created_at, row_cls.id)
        if state is not None:
            stmt = stmt.where(row_cls.state == state)
        return [_record(cls, r) for r in self._page(stmt, offset, limit)]

    def insert_negotiation(self, n: Negotiation) -> None:
        self._insert(NegotiationRow, n, f"negotiation {n.id!r} (or its {n.role} process ids)")

    def get_negotiation(self, negotiation_id: str, *, for_update: bool = False) -> Negotiation | None:
        return self._get_process(NegotiationRow, Negotiation, negotiation_id, for_update)

    def find_negotiation(
        self,
        role: str,
        *,
        consumer_pid: str | None = None,
        provider_pid: str | None = None,
        for_update: bool = False,
    ) -> Negotiation | None:
        pids = (consumer_pid, provider_pid)
        return self._find_process(NegotiationRow, Negotiation, role, pids, for_update)

    def update_negotiation(self, n: Negotiation) -> Negotiation:
        return self._update_process(NegotiationRow, n, "negotiation")

    def list_negotiations(
        self, offset: int = 0, limit: int = 50, *, state: str | None = None
    ) -> list[Negotiation]:
        return self._list_process(NegotiationRow, Negotiation, offset, limit, state)

    def insert_transfer(self, t: Transfer) -> None:
        self._insert(TransferRow, t, f"transfer {t.id!r} (or its {t.role} process ids)")

    def get_transfer(self, transfer_id: str, *, for_update: bool = False) -> Transfer | None:
        return self._get_process(TransferRow, Transfer, transfer_id, for_update)

    def find_transfer(
        self,
        role: str,
        *,
        consumer_pid: str | None = None,
        provider_pid: str | None = None,
        for_update: bool = False,
    ) -> Transfer | None:
        return self._find_process(TransferRow, Transfer, role, (consumer_pid, provider_pid), for_update)

    def update_transfer(self, t: Transfer) -> Transfer:
        return self._update_process(TransferRow, t, "transfer")

    def list_transfers(self, offset: int = 0, limit: int = 50, *, state: str | None = None) -> list[Transfer]:
        return self._list_process(TransferRow, Transfer, offset, limit, state)

    # -- agreements and data-plane tokens -------------------------------------------------------------------

    def insert_agreement(self, a: Agreement) -> None:
        self._insert(AgreementRow, a, f"agreement {a.id!r}")

    def get_agreement(self, agreement_id: str) -> Agreement | None:
        row = self._one(select(AgreementRow).where(AgreementRow.id == agreement_id))
        return None if row is None else _record(Agreement, row)

    def list_agreements(self, offset: int = 0, limit: int = 50) -> list[Agreement]:
        stmt = select(AgreementRow).order_by(AgreementRow.signed_at, AgreementRow.id)
        return [_record(Agreement, r) for r in self._page(stmt, offset, limit)]

    # -- contracts rendered from templates (battrace.contracts) ---------------------------------------------

    def insert_contract(self, c: Contract) -> None:
        self._insert(ContractRow, c, f"contract of agreement {c.agreement_id!r}")

    def get_contract(self, agreement_id: str) -> Contract | None:
        row = self._one(select(ContractRow).where(ContractRow.agreement_id == agreement_id))
        return None if row is None else _record(Contract, row)

    def add_contract_signature(self, agreement_id: str, role: str, jws: str) -> bool:
        """Record a party's signature once: False when that party's signature is already there (or no such
        contract), so a retried or concurrent second signature never replaces the first."""
        columns = {"PROVIDER": ContractRow.provider_signature, "CONSUMER": ContractRow.consumer_signature}
        column = columns.get(role)
        if column is None:
            raise InvalidInput(f"role must be PROVIDER or CONSUMER, got {role!r}")
        stmt = (
            update(ContractRow)
            .where(ContractRow.agreement_id == agreement_id, column.is_(None))
            .values({column.key: jws})
        )
        return self._rows(stmt) == 1

    def insert_edr(self, t: EdrToken) -> None:
        self._insert(EdrTokenRow, t, "EDR token with this hash")

    def get_edr(self, token_hash: str) -> EdrToken | None:
        row = self._one(select(EdrTokenRow).where(EdrTokenRow.token_hash == token_hash))
        return None if row is None else _record(EdrToken, row)

    def revoke_edrs(self, transfer_id: str) -> int:
        stmt = (
            update(EdrTokenRow)
            .where(EdrTokenRow.transfer_id == transfer_id, EdrTokenRow.revoked.is_(False))
            .values(revoked=True)
        )
        return self._rows(stmt)

    # -- outbox ---------------------------------------------------------------------------------------------

    def enqueue(self, m: OutboxMessage) -> int:
        values = _values(m)
        del values["id"]
        return int(self._s.execute(insert(OutboxRow).values(**values).returning(OutboxRow.id)).scalar_one())

    @staticmethod
    def _is_head_of_process() -> Any:
        # A message may be sent only when no older message of the same process is still pending, so that a
        # process's messages reach the peer in the order its state machine produced them.
        older = aliased(OutboxRow)
        oldest = (
            select(func.min(older.id))
            .where(older.process_kind == OutboxRow.process_kind, older.process_id == OutboxRow.process_id)
            .scalar_subquery()
        )
        return OutboxRow.id == oldest

    def oldest_pending(self, process_kind: str, process_id: str) -> OutboxMessage | None:
        """The first undelivered message of a process (what the counterparty has not acknowledged yet)."""
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.process_kind == process_kind, OutboxRow.process_id == process_id)
            .order_by(OutboxRow.id)
            .limit(1)
        )
        row = self._s.execute(stmt).scalar_one_or_none()
        return None if row is None else _record(OutboxMessage, row)

    def drop_pending(self, process_kind: str, process_id: str) -> int:
        """Forget every undelivered message of a process (it ended; they would only be refused)."""
        stmt = delete(OutboxRow).where(
            OutboxRow.process_kind == process_kind, OutboxRow.process_id == process_id
        )
        return int(self._rows(stmt))

    def due_messages(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.next_attempt_at <= now, self._is_head_of_process())
            .order_by(OutboxRow.id)
        )
        return [_record(OutboxMessage, r) for r in self._page(stmt, 0, limit)]

    def delete_outbox(self, message_id: int) -> None:
        self._rows(delete(OutboxRow).where(OutboxRow.id == message_id))

    def reschedule(self, message_id: int, attempts: int, next_attempt_at: datetime) -> None:
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(attempts=attempts, next_attempt_at=next_attempt_at)
        )
        if self._rows(stmt) != 1:
            raise NotFound(f"outbox message {message_id} does not exist")

    def next_due_at(self) -> datetime | None:
        stmt = select(func.min(OutboxRow.next_attempt_at)).where(self._is_head_of_process())
        value: datetime | None = self._s.execute(stmt).scalar_one_or_none()
        return value

    # -- inbound idempotency and replay protection ----------------------------------------------------------

    def recall_response(self, key: str) -> InboxRecord | None:
        row = self._one(select(InboxRow).where(InboxRow.key == key))
        return None if row is None else _record(InboxRecord, row)

    def remember_response(
        self, key: str, status: int, response: Mapping[str, Any] | None, now: datetime
    ) -> None:
        # Conflict when a concurrent duplicate got there first: rolling back the duplicate's work is right.
        record = InboxRecord(key=key, status=status, response=response, created_at=now)
        self._insert(InboxRow, record, f"response for message {key!r}")

    def forget_response(self, key: str) -> None:
        """Drop a remembered response (a new message that happens to repeat an old one's body)."""
        self._rows(delete(InboxRow).where(InboxRow.key == key))

    def record_jti(self, issuer: str, jti: str, expires_at: datetime, now: datetime | None = None) -> bool:
        """False if (issuer, jti) is already recorded. With `now`, an expired record no longer counts."""
        if now is not None:
            self._rows(
                delete(SeenJtiRow).where(
                    SeenJtiRow.issuer == issuer, SeenJtiRow.jti == jti, SeenJtiRow.expires_at <= now
                )
            )
        try:
            with self._unique("jti"):
                self._s.execute(insert(SeenJtiRow).values(issuer=issuer, jti=jti, expires_at=expires_at))
        except Conflict:
            return False
        return True

    def purge_expired(self, now: datetime, inbox_retention: timedelta = INBOX_RETENTION) -> int:
        jtis = self._rows(delete(SeenJtiRow).where(SeenJtiRow.expires_at <= now))
        inbox = self._rows(delete(InboxRow).where(InboxRow.created_at < now - inbox_retention))
        return jtis + inbox
