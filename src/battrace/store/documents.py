"""The applications' documents (``app_documents``): put, get, list and delete by (app, kind, id) inside the
caller's transaction, so an app's write commits together with its log entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from battrace.store._orm import AppDocumentRow
from battrace.store.tx import Tx


@dataclass(frozen=True)
class AppDocument:
    app: str
    kind: str
    id: str
    body: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime


def _record(row: AppDocumentRow) -> AppDocument:
    return AppDocument(row.app, row.kind, row.id, row.body, row.created_at, row.updated_at)


def put_document(tx: Tx, app: str, kind: str, doc_id: str, body: Mapping[str, Any], now: datetime) -> bool:
    """Create or replace; True when it was created."""
    key = (AppDocumentRow.app == app, AppDocumentRow.kind == kind, AppDocumentRow.id == doc_id)
    exists = tx.session.execute(select(AppDocumentRow.id).where(*key)).scalar() is not None
    if exists:
        tx.session.execute(update(AppDocumentRow).where(*key).values(body=dict(body), updated_at=now))
        return False
    row = {"app": app, "kind": kind, "id": doc_id, "body": dict(body), "created_at": now, "updated_at": now}
    tx.session.execute(insert(AppDocumentRow).values(**row))
    return True


def get_document(tx: Tx, app: str, kind: str, doc_id: str) -> AppDocument | None:
    stmt = select(AppDocumentRow).where(
        AppDocumentRow.app == app, AppDocumentRow.kind == kind, AppDocumentRow.id == doc_id
    )
    row = tx.session.execute(stmt.execution_options(populate_existing=True)).scalar()
    return None if row is None else _record(row)


def list_documents(
    tx: Tx, app: str, kind: str, *, after: str | None = None, limit: int = 100
) -> list[AppDocument]:
    """Documents of one kind in id order after ``after`` (keyset paging)."""
    stmt = (
        select(AppDocumentRow)
        .where(AppDocumentRow.app == app, AppDocumentRow.kind == kind)
        .order_by(AppDocumentRow.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(AppDocumentRow.id > after)
    return [_record(r) for r in tx.session.execute(stmt.execution_options(populate_existing=True)).scalars()]


def delete_document(tx: Tx, app: str, kind: str, doc_id: str) -> bool:
    result = tx.session.execute(
        delete(AppDocumentRow).where(
            AppDocumentRow.app == app, AppDocumentRow.kind == kind, AppDocumentRow.id == doc_id
        )
    )
    return bool(getattr(result, "rowcount", 0))
