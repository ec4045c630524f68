from __future__ import annotations

import json

import pytest

from battrace.apps.duediligence.disclosure import Designation, DisclosurePolicy, Summary, disclose, receive
from battrace.apps.duediligence.evidence import Access, EvidenceRef, sha256_hex
from battrace.apps.duediligence.model import Declaration
from battrace.errors import Forbidden, InvalidInput

from .example import CATHODECO, cellco

OEM = "did:web:oem.example"
PEER = "did:web:peer.example"
STRANGER = "did:web:stranger.example"


def _ref(title: str, access: Access) -> EvidenceRef:
    return EvidenceRef(sha256=sha256_hex(title.encode()), kind="audit_report", title=title, access=access)


def _declaration() -> Declaration:
    evidence = tuple(_ref(a.value, a) for a in Access)
    return cellco().model_copy(update={"evidence": evidence})


POLICY = DisclosurePolicy(
    supplier=CATHODECO,
    designations=(Designation(recipient=OEM, view="full"), Designation(recipient=PEER, view="summary")),
)


def test_a_recipient_the_supplier_did_not_designate_gets_nothing() -> None:
    with pytest.raises(Forbidden, match=f"has not designated {STRANGER}"):
        disclose(_declaration(), POLICY, STRANGER)


def test_a_full_recipient_gets_the_lists_but_not_authority_or_private_evidence() -> None:
    payload = json.loads(json.dumps(disclose(_declaration(), POLICY, OEM)))
    received = receive(payload)
    assert isinstance(received, Declaration)
    assert received.smelters == _declaration().smelters
    assert {ref.title for ref in received.evidence} == {"public", "recipients"}


def test_a_summary_recipient_gets_counts_and_public_evidence_only() -> None:
    payload = json.loads(json.dumps(disclose(_declaration(), POLICY, PEER)))
    received = receive(payload)
    assert isinstance(received, Summary)
    nickel = next(m for m in received.minerals if m.mineral == "nickel")
    assert (nickel.smelters, nickel.identified_smelters) == (1, 1)  # CellCo's own list: S3 (nickel, with id)
    assert {ref.title for ref in received.evidence} == {"public"}
    assert "Harjavalta" not in json.dumps(payload)


def test_a_recipient_cannot_be_designated_twice() -> None:
    with pytest.raises(ValueError, match="designated twice"):
        DisclosurePolicy(
            supplier=CATHODECO,
            designations=(
                Designation(recipient=OEM, view="full"),
                Designation(recipient=OEM, view="summary"),
            ),
        )


def test_a_tampered_payload_is_refused_naming_the_field() -> None:
    payload = disclose(_declaration(), POLICY, OEM)
    payload["declaration"]["minerals"][0]["cahra"] = "Never"
    with pytest.raises(InvalidInput, match=r"minerals\.0\.cahra"):
        receive(payload)
    with pytest.raises(InvalidInput, match="view 'full' or 'summary'"):
        receive({"view": "everything"})
