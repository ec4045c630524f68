from __future__ import annotations

import pytest

from battrace.apps.duediligence.cahra import default_cahra_list
from battrace.apps.duediligence.evidence import Access, EvidenceStore
from battrace.apps.duediligence.metrics import Results, parse_conformant_csv, results
from battrace.apps.duediligence.passport import passport_values
from battrace.apps.duediligence.rollup import roll_up
from battrace.errors import InvalidInput
from battrace.passport.checks import check_value

from .example import CELLCO, CONFORMANT_CSV, chain


@pytest.fixture(scope="module")
def computed() -> Results:
    rolled = roll_up(CELLCO, chain())
    conformant = parse_conformant_csv(CONFORMANT_CSV, "user import")
    return results(rolled.declaration, default_cahra_list(), conformant, rolled.requested, rolled.responded)


@pytest.fixture
def store() -> EvidenceStore:
    return EvidenceStore()


def test_the_passport_gets_the_public_report_link_and_the_summary(
    computed: Results, store: EvidenceStore
) -> None:
    report = store.add(
        b"%PDF report", kind="due_diligence_report", title="DD report 2026", access=Access.PUBLIC,
        uri="https://cellco.example/dd-report-2026.pdf",
    )  # fmt: skip
    values = passport_values(report, computed)
    assert values["due_diligence_report"] == "https://cellco.example/dd-report-2026.pdf"
    indices = str(values["supply_chain_indices"])
    # Hand-checked in test_example.py: 4 of 5 suppliers, lithium coverage 1/2, graphite conformant 0/1,
    # graphite exposed through its TZ mine, OECD steps 1 and 5 met.
    assert "Supplier response rate: 80 %" in indices
    assert "lithium 50 %" in indices
    assert "natural graphite 0 %" in indices
    assert "natural graphite yes" in indices
    assert "recycled feedstock: cobalt 0 %, lithium 50 %" in indices
    assert "OECD due diligence steps met: 2 of 5" in indices
    assert "third_party_assurances" not in values
    for key, value in values.items():
        check_value(key, value)


def test_only_public_third_party_assurances_are_listed(computed: Results, store: EvidenceStore) -> None:
    report = store.add(
        b"r", kind="due_diligence_report", title="R", access=Access.PUBLIC, uri="https://x.example/r"
    )
    verification = store.add(
        b"v", kind="third_party_verification", title="NB verification", access=Access.PUBLIC
    )
    audit = store.add(b"a", kind="audit_report", title="Site audit", access=Access.AUTHORITY)
    values = passport_values(report, computed, [verification, audit])
    assert values["third_party_assurances"] == [f"NB verification (SHA-256 {verification.sha256})"]


@pytest.mark.parametrize(
    ("kind", "access", "uri", "message"),
    [
        ("due_diligence_report", Access.RECIPIENTS, "https://x.example/r", "must be public"),
        ("policy", Access.PUBLIC, "https://x.example/r", "not a due diligence report"),
        ("due_diligence_report", Access.PUBLIC, "", "has no link"),
    ],
)
def test_a_report_the_public_cannot_open_is_refused(
    computed: Results, store: EvidenceStore, kind: str, access: Access, uri: str, message: str
) -> None:
    report = store.add(b"r", kind=kind, title="R", access=access, uri=uri)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=message):
        passport_values(report, computed)
