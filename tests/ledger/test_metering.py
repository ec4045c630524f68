"""Metering for platform fees: counts per counterparty and month, computed from log entries, signed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from battrace.errors import InvalidInput
from battrace.identity import NodeKeys, did_document
from battrace.ledger.metering import aggregate, compute, sign_report, verify_report
from battrace.store.ledger import LogEntry

NODE = "did:web:cell-maker.example"
OEM = "did:web:oem.example"
RECYCLER = "did:web:recycler.example"


def entry(index: int, kind: str, when: datetime, **payload: Any) -> LogEntry:
    return LogEntry(
        index=index,
        kind=kind,
        created_at=when,
        payload={"v": 1, "kind": kind, **payload},
        leaf_hash=b"\x00" * 32,
    )


NOV = datetime(2026, 11, 3, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
LOG = [
    entry(0, "dsp.catalog", NOV, peer=OEM),
    entry(1, "contract.agreement", NOV, peer=OEM),
    entry(2, "dsp.received", NOV, peer=OEM, message={"@type": "TransferRequestMessage"}),
    entry(3, "dataplane.access", NOV, peer=OEM, status=200, bytes=1200),
    entry(4, "dataplane.access", NOV, peer=OEM, status=200, bytes=800),
    entry(5, "dataplane.refused", NOV, peer=OEM, status=403),
    entry(6, "contract.agreement", NOV, peer=RECYCLER),
    entry(7, "dataplane.push", NOV, peer=RECYCLER),
    entry(8, "contract.agreement", DEC, peer=OEM),
]


def test_counts_per_counterparty_for_the_month_only() -> None:
    report = compute(NODE, "2026-11", LOG)
    assert report.peers[OEM].as_dict() == {
        "agreements": 1,
        "transfers": 1,
        "dataAccesses": 2,
        "bytesServed": 2000,
        "passportsServed": 0,
    }
    assert report.peers[RECYCLER].agreements == 1 and report.peers[RECYCLER].dataAccesses == 1
    assert report.log_size == 9
    assert compute(NODE, "2026-12", LOG).peers[OEM].agreements == 1


def test_signed_report_verifies_and_aggregates_per_member() -> None:
    keys = NodeKeys.generate()
    token = sign_report(compute(NODE, "2026-11", LOG), keys)
    report = verify_report(token, did_document(NODE, keys))
    assert aggregate([report]) == {
        NODE: {"agreements": 2, "transfers": 1, "dataAccesses": 3, "bytesServed": 2000, "passportsServed": 0}
    }


def test_a_report_signed_by_another_key_is_refused() -> None:
    token = sign_report(compute(NODE, "2026-11", LOG), NodeKeys.generate())
    with pytest.raises(InvalidInput):
        verify_report(token, did_document(NODE, NodeKeys.generate()))


def test_a_report_claiming_another_node_is_refused() -> None:
    keys = NodeKeys.generate()
    token = sign_report(
        compute(OEM, "2026-11", LOG), keys
    )  # OEM's name, signed with a key the NODE publishes
    with pytest.raises(InvalidInput):
        verify_report(token, did_document(NODE, keys))
