"""Application documents on SQLite and PostgreSQL: create, replace, read, page, delete, roll back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from battrace.store import Store
from battrace.store.documents import delete_document, get_document, list_documents, put_document

T0 = datetime(2026, 11, 22, 9, tzinfo=UTC)
T1 = datetime(2026, 11, 22, 10, tzinfo=UTC)


def test_a_document_is_created_then_replaced_keeping_its_creation_time(store: Store) -> None:
    with store.transaction() as tx:
        assert put_document(tx, "pcf", "product", "cell-1", {"total": "12.5"}, T0) is True
    with store.transaction() as tx:
        assert put_document(tx, "pcf", "product", "cell-1", {"total": "13.0"}, T1) is False
    with store.read() as tx:
        found = get_document(tx, "pcf", "product", "cell-1")
    assert found is not None and found.body == {"total": "13.0"}
    assert found.created_at == T0 and found.updated_at == T1


def test_apps_and_kinds_are_separate_namespaces(store: Store) -> None:
    with store.transaction() as tx:
        put_document(tx, "pcf", "product", "x", {"a": 1}, T0)
        put_document(tx, "dd", "product", "x", {"b": 2}, T0)
    with store.read() as tx:
        assert get_document(tx, "dd", "product", "x").body == {"b": 2}  # type: ignore[union-attr]
        assert get_document(tx, "pcf", "declaration", "x") is None


def test_documents_page_in_id_order(store: Store) -> None:
    with store.transaction() as tx:
        for n in (3, 1, 2, 5, 4):
            put_document(tx, "dd", "declaration", f"d{n}", {"n": n}, T0)
    with store.read() as tx:
        first = list_documents(tx, "dd", "declaration", limit=2)
        rest = list_documents(tx, "dd", "declaration", after=first[-1].id, limit=10)
    assert [d.id for d in first + rest] == ["d1", "d2", "d3", "d4", "d5"]


def test_a_failed_transaction_keeps_no_document(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        put_document(tx, "pcf", "product", "lost", {}, T0)
        raise RuntimeError("the business change failed")
    with store.read() as tx:
        assert get_document(tx, "pcf", "product", "lost") is None


def test_delete_says_whether_there_was_a_document(store: Store) -> None:
    with store.transaction() as tx:
        put_document(tx, "soh", "assessment", "b1", {}, T0)
    with store.transaction() as tx:
        assert delete_document(tx, "soh", "assessment", "b1") is True
        assert delete_document(tx, "soh", "assessment", "b1") is False
