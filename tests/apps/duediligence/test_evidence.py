from __future__ import annotations

import hashlib

import pytest

from battrace.apps.duediligence.evidence import Access, EvidenceStore, verify, visible
from battrace.errors import Forbidden, InvalidInput, NotFound


@pytest.fixture
def store() -> EvidenceStore:
    store = EvidenceStore()
    store.add(b"%PDF policy", kind="policy", title="Policy", access=Access.PUBLIC)
    store.add(
        b"%PDF assessment", kind="child_labour_assessment", title="CL assessment", access=Access.RECIPIENTS
    )
    store.add(b"%PDF audit", kind="audit_report", title="Audit", access=Access.AUTHORITY)
    store.add(b"%PDF notes", kind="other", title="Notes", access=Access.PRIVATE)
    return store


def test_a_document_is_referenced_by_the_sha256_of_its_bytes(store: EvidenceStore) -> None:
    ref = store.add(b"report bytes", kind="due_diligence_report", title="Report", access=Access.PUBLIC)
    assert ref.sha256 == hashlib.sha256(b"report bytes").hexdigest()
    assert store.read(ref.sha256, "public") == b"report bytes"


def test_each_reader_sees_only_its_access_levels(store: EvidenceStore) -> None:
    def titles(reader: str) -> set[str]:
        return {ref.title for ref in visible(store.refs(), reader)}  # type: ignore[arg-type]

    assert titles("public") == {"Policy"}
    assert titles("recipient") == {"Policy", "CL assessment"}
    assert titles("authority") == {"Policy", "CL assessment", "Audit"}
    assert titles("owner") == {"Policy", "CL assessment", "Audit", "Notes"}


def test_a_recipient_may_not_read_an_authority_only_audit(store: EvidenceStore) -> None:
    audit = next(ref for ref in store.refs() if ref.title == "Audit")
    with pytest.raises(Forbidden, match="'Audit' is authority"):
        store.read(audit.sha256, "recipient")
    assert store.read(audit.sha256, "authority") == b"%PDF audit"


def test_an_unknown_hash_is_not_found(store: EvidenceStore) -> None:
    with pytest.raises(NotFound):
        store.read("0" * 64, "owner")


def test_bytes_that_do_not_match_the_reference_are_refused(store: EvidenceStore) -> None:
    policy = next(ref for ref in store.refs() if ref.title == "Policy")
    verify(policy, b"%PDF policy")
    with pytest.raises(InvalidInput, match="content has SHA-256"):
        verify(policy, b"%PDF policy, edited")


def test_an_empty_document_is_refused(store: EvidenceStore) -> None:
    with pytest.raises(InvalidInput, match="empty document"):
        store.add(b"", kind="policy", title="Empty", access=Access.PUBLIC)
