"""Persistence of battery passports: models, items, status timelines and dynamic-data series.

Functions take the caller's `Tx`, so a passport write, its log entry and its registry entry commit or roll
back together. Writes are batched (one INSERT per table per call), since issuance runs at production volume:
a cell maker issues a day's output at once. Records go in and out; rows never leave this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from battrace.errors import Conflict
from battrace.store._orm import (
    PassportEventRow,
    PassportMeasurementRow,
    PassportModelRow,
    PassportRow,
)
from battrace.store.tx import Tx


@dataclass(frozen=True)
class PassportModelRecord:
    id: str
    category: str
    responsible_operator: str
    values: Mapping[str, Any]
    values_sha256: str  # signing.digest_of_levels of the per-access-level digests
    signature: str
    created_at: datetime


@dataclass(frozen=True)
class PassportRecord:
    id: str
    model_id: str
    battery_identifier: str
    responsible_operator: str
    mandated: tuple[str, ...]
    state: str
    values: Mapping[str, Any]
    values_sha256: str  # signing.digest_of_levels of the per-access-level digests
    signature: str
    predecessor: str | None
    successor: str | None
    issued_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EventRecord:
    passport_id: str
    event: str
    before: str | None
    after: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class MeasurementRecord:
    passport_id: str
    key: str
    value: float | int | str
    unit: str | None
    measured_at: datetime
    source: str
    writer: str
    recorded_at: datetime


def _driver_insert(tx: Tx, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows to the driver's executemany, each value bound once by its column type's own processor (JSON,
    timestamps). Issuance writes two rows per passport; SQLAlchemy's per-row parameter handling cost more than
    the database's work (as in the ledger, battrace.store.ledger). Columns a row leaves out take no default
    here: callers give every column but autoincrement ids."""
    conn = tx.session.connection()
    names = [c.name for c in table.columns if c.name in rows[0]]
    bind = {name: table.c[name].type.bind_processor(conn.dialect) for name in names}
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    columns = ", ".join(f'"{name}"' for name in names)  # "values" and "before" are reserved words
    sql = f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join([marker] * len(names))})"
    processed = [
        tuple(row[n] if bind[n] is None else bind[n](row[n]) for n in names)
        for row in rows
    ]
    conn.exec_driver_sql(sql, processed)


# -- models ------------------------------------------------------------------------------------------------


def insert_model(tx: Tx, model: PassportModelRecord) -> None:
    if tx.session.get(PassportModelRow, model.id) is not None:
        raise Conflict(f"passport model {model.id!r} already exists", reason="duplicate_model")
    tx.session.execute(
        insert(PassportModelRow).values(
            id=model.id,
            category=model.category,
            responsible_operator=model.responsible_operator,
            values=dict(model.values),
            values_sha256=model.values_sha256,
            signature=model.signature,
            created_at=model.created_at,
        )
    )


def get_model(tx: Tx, model_id: str) -> PassportModelRecord | None:
    row = tx.session.execute(select(PassportModelRow).where(PassportModelRow.id == model_id)).scalar()
    if row is None:
        return None
    return PassportModelRecord(
        row.id,
        row.category,
        row.responsible_operator,
        row.values,
        row.values_sha256,
        row.signature,
        row.created_at,
    )


def list_models(tx: Tx) -> list[PassportModelRecord]:
    ids = tx.session.execute(select(PassportModelRow.id).order_by(PassportModelRow.id)).scalars().all()
    return [model for model_id in ids if (model := get_model(tx, model_id)) is not None]


# -- passports ---------------------------------------------------------------------------------------------


def insert_passports(tx: Tx, passports: Sequence[PassportRecord]) -> None:
    """All or nothing: a duplicate id or battery identifier (here or already stored) is a Conflict."""
    if not passports:
        return
    _refuse_duplicates(tx, passports)
    rows = [
        {
            "id": p.id,
            "model_id": p.model_id,
            "battery_identifier": p.battery_identifier,
            "responsible_operator": p.responsible_operator,
            "mandated": {"dids": list(p.mandated)},
            "state": p.state,
            "values": dict(p.values),
            "values_sha256": p.values_sha256,
            "signature": p.signature,
            "predecessor": p.predecessor,
            "successor": p.successor,
            "issued_at": p.issued_at,
            "updated_at": p.updated_at,
        }
        for p in passports
    ]
    try:
        with tx.session.begin_nested():
            _driver_insert(tx, PassportRow.__table__, rows)
    except IntegrityError as exc:  # a concurrent writer took an id between our check and the insert
        raise Conflict("a passport id or battery identifier is already taken", reason="duplicate") from exc


def _refuse_duplicates(tx: Tx, passports: Sequence[PassportRecord]) -> None:
    ids = [p.id for p in passports]
    batteries = [p.battery_identifier for p in passports]
    for name, values in (("passport id", ids), ("battery identifier", batteries)):
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise Conflict(f"{name} {value!r} appears twice in one request", reason="duplicate")
            seen.add(value)
    for start in range(0, len(passports), 500):  # bounded IN lists
        taken_id = tx.session.execute(
            select(PassportRow.id).where(PassportRow.id.in_(ids[start : start + 500])).limit(1)
        ).scalar()
        if taken_id is not None:
            raise Conflict(f"passport {taken_id!r} already exists", reason="duplicate_passport")
        taken_battery = tx.session.execute(
            select(PassportRow.battery_identifier)
            .where(PassportRow.battery_identifier.in_(batteries[start : start + 500]))
            .limit(1)
        ).scalar()
        if taken_battery is not None:
            raise Conflict(f"battery {taken_battery!r} already has a passport", reason="duplicate_battery")


def _passport(row: PassportRow) -> PassportRecord:
    return PassportRecord(
        row.id,
        row.model_id,
        row.battery_identifier,
        row.responsible_operator,
        tuple(row.mandated.get("dids", ())),
        row.state,
        row.values,
        row.values_sha256,
        row.signature,
        row.predecessor,
        row.successor,
        row.issued_at,
        row.updated_at,
    )


def get_passport(tx: Tx, passport_id: str, *, for_update: bool = False) -> PassportRecord | None:
    """One passport; ``for_update`` locks its row for the rest of the transaction (PostgreSQL), so that
    two writers of the same passport's status queue instead of both judging the old state."""
    stmt = select(PassportRow).where(PassportRow.id == passport_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = tx.session.execute(stmt.execution_options(populate_existing=True)).scalar()
    return None if row is None else _passport(row)


def find_by_battery(tx: Tx, battery_identifiers: Iterable[str]) -> str | None:
    """The passport id of the first stored battery identifier among ``battery_identifiers`` (spellings)."""
    wanted = list(battery_identifiers)
    if not wanted:
        return None
    stmt = select(PassportRow.id).where(PassportRow.battery_identifier.in_(wanted)).limit(1)
    found = tx.session.execute(stmt).scalar()
    return None if found is None else str(found)


def list_passports(tx: Tx, *, after: str | None, limit: int, model_id: str | None = None) -> list[str]:
    """Passport ids in id order after ``after`` (keyset paging: no OFFSET scan at 10^7 rows)."""
    stmt = select(PassportRow.id).order_by(PassportRow.id).limit(limit)
    if after is not None:
        stmt = stmt.where(PassportRow.id > after)
    if model_id is not None:
        stmt = stmt.where(PassportRow.model_id == model_id)
    return [str(i) for i in tx.session.execute(stmt).scalars()]


def set_state(
    tx: Tx, passport_id: str, *, state: str, updated_at: datetime, successor: str | None = None
) -> None:
    values: dict[str, Any] = {"state": state, "updated_at": updated_at}
    if successor is not None:
        values["successor"] = successor
    tx.session.execute(update(PassportRow).where(PassportRow.id == passport_id).values(**values))


# -- status timeline ---------------------------------------------------------------------------------------


def insert_events(tx: Tx, events: Sequence[EventRecord]) -> None:
    if events:
        _driver_insert(
            tx,
            PassportEventRow.__table__,
            [
                {
                    "passport_id": e.passport_id,
                    "event": e.event,
                    "before": e.before,
                    "after": e.after,
                    "at": e.at,
                    "actor": e.actor,
                }
                for e in events
            ],
        )


def events(tx: Tx, passport_id: str) -> list[EventRecord]:
    stmt = (
        select(PassportEventRow)
        .where(PassportEventRow.passport_id == passport_id)
        .order_by(PassportEventRow.id)
    )
    return [
        EventRecord(r.passport_id, r.event, r.before, r.after, r.at, r.actor)
        for r in tx.session.execute(stmt).scalars()
    ]


# -- dynamic data ------------------------------------------------------------------------------------------


def insert_measurements(tx: Tx, measurements: Sequence[MeasurementRecord]) -> None:
    if measurements:
        tx.session.execute(
            insert(PassportMeasurementRow),
            [
                {
                    "passport_id": m.passport_id,
                    "key": m.key,
                    "value": {"value": m.value},
                    "unit": m.unit,
                    "measured_at": m.measured_at,
                    "source": m.source,
                    "writer": m.writer,
                    "recorded_at": m.recorded_at,
                }
                for m in measurements
            ],
        )


def measurements(tx: Tx, passport_id: str, *, keys: Iterable[str] | None = None) -> list[MeasurementRecord]:
    """Every measurement of the passport (of ``keys`` only, when given), per key oldest first."""
    T = PassportMeasurementRow
    stmt = select(T).where(T.passport_id == passport_id).order_by(T.key, T.measured_at, T.id)
    if keys is not None:
        stmt = stmt.where(T.key.in_(list(keys)))
    return [
        MeasurementRecord(
            r.passport_id,
            r.key,
            r.value["value"],
            r.unit,
            r.measured_at,
            r.source,
            r.writer,
            r.recorded_at,
        )
        for r in tx.session.execute(stmt).scalars()
    ]


def latest_measured_at(tx: Tx, passport_id: str, keys: Iterable[str]) -> dict[str, datetime]:
    """Per key, the time of its newest measurement (the series must not go back in time)."""
    T = PassportMeasurementRow
    stmt = (
        select(T.key, func.max(T.measured_at))
        .where(T.passport_id == passport_id, T.key.in_(list(keys)))
        .group_by(T.key)
    )
    result: dict[str, datetime] = {}
    for key, when in tx.session.execute(stmt):
        # an aggregate bypasses the column type on SQLite (naive text); read it back through the type
        result[str(key)] = _aware(when)
    return result


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
