"""Metering for platform fees (BASC report §7.1: membership plus pay-as-you-go), computed from the log.

A node counts, per counterparty and calendar month, the contract agreements it concluded, the transfers it
answered or started, the data-plane calls it served and their bytes, and (later) the passports it served. The
report is built only from entries of the transparency log, so anyone holding the log can recompute it, and it
is signed by the node (compact JWS, EdDSA) so the operator can aggregate reports without trusting transport.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError

from battrace.errors import InvalidInput
from battrace.identity import NodeKeys, verification_key
from battrace.identity._jose import REGISTRY
from battrace.store.ledger import LogEntry

REPORT_TYPE = "battrace-metering-report/v1"
COUNTERS = ("agreements", "transfers", "dataAccesses", "bytesServed", "passportsServed")


@dataclass
class Usage:
    agreements: int = 0
    transfers: int = 0
    dataAccesses: int = 0  # camelCase: the report's JSON field names
    bytesServed: int = 0
    passportsServed: int = 0

    def add(self, other: Mapping[str, int]) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + int(other.get(name, 0)))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}


@dataclass
class MeteringReport:
    node: str
    period: str  # YYYY-MM
    log_size: int  # the log prefix the counts were computed from
    peers: dict[str, Usage] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": REPORT_TYPE,
            "node": self.node,
            "period": self.period,
            "logSize": self.log_size,
            "peers": {peer: usage.as_dict() for peer, usage in sorted(self.peers.items())},
        }


def period_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def compute(node_did: str, period: str, entries: Iterable[LogEntry]) -> MeteringReport:
    """Counts for one calendar month; entries outside the period are skipped."""
    report = MeteringReport(node=node_did, period=period, log_size=0)
    for entry in entries:
        report.log_size = max(report.log_size, entry.index + 1)
        if period_of(entry.created_at) != period:
            continue
        peer = entry.payload.get("peer")
        if not isinstance(peer, str):
            continue
        usage = report.peers.setdefault(peer, Usage())
        _count(usage, entry)
    return report


def _count(usage: Usage, entry: LogEntry) -> None:
    payload = entry.payload
    if entry.kind == "contract.agreement":
        usage.agreements += 1
    elif entry.kind in ("dsp.received", "dsp.sent") and _message_type(payload) == "TransferRequestMessage":
        usage.transfers += 1
    elif entry.kind == "dataplane.access" and int(payload.get("status", 0)) < 300:
        usage.dataAccesses += 1
        usage.bytesServed += int(payload.get("bytes", 0))
    elif entry.kind == "dataplane.push":
        usage.dataAccesses += 1
    elif entry.kind == "passport.served":
        usage.passportsServed += 1


def _message_type(payload: Mapping[str, Any]) -> str | None:
    message = payload.get("message")
    if isinstance(message, Mapping) and isinstance(message.get("@type"), str):
        return str(message["@type"])
    return None


def all_entries(read_page: Any, size: int, page: int = 1000) -> Iterator[LogEntry]:
    """Every entry of a log prefix, page by page (`read_page(start, end)`, e.g. TransparencyLog.entries)."""
    for start in range(0, size, page):
        yield from read_page(start, min(size, start + page))


def sign_report(report: MeteringReport, keys: NodeKeys) -> str:
    header = {"alg": "EdDSA", "typ": "JWT", "kid": f"{report.node}#{keys.key_id}"}
    return jws.serialize_compact(header, _json(report.as_dict()), keys.signing_jwk(), registry=REGISTRY)


def verify_report(token: str, signer_document: Mapping[str, Any]) -> MeteringReport:
    """A member's report, once its signature verifies with a key of the member's DID document."""
    try:
        header = jws.extract_compact(token.encode()).protected
        key = verification_key(signer_document, str(header.get("kid", "")))
        obj = jws.deserialize_compact(token, key, registry=REGISTRY)
    except (JoseError, ValueError) as error:
        raise InvalidInput(f"metering report signature does not verify: {error}") from error
    return _parse(obj.payload, str(signer_document.get("id")))


def aggregate(reports: Sequence[MeteringReport]) -> dict[str, dict[str, int]]:
    """Operator view: per member (the reporting node), totals over its counterparties for the period."""
    totals: dict[str, Usage] = defaultdict(Usage)
    for report in reports:
        for usage in report.peers.values():
            totals[report.node].add(usage.as_dict())
    return {member: usage.as_dict() for member, usage in sorted(totals.items())}


def _parse(payload: bytes, signer: str) -> MeteringReport:
    body = json.loads(payload)
    if body.get("type") != REPORT_TYPE or body.get("node") != signer:
        raise InvalidInput("not a metering report of this node")
    report = MeteringReport(node=signer, period=str(body["period"]), log_size=int(body["logSize"]))
    for peer, counts in body.get("peers", {}).items():
        usage = Usage()
        usage.add(counts)
        report.peers[peer] = usage
    return report


def _json(value: Any) -> bytes:
    return rfc8785.dumps(value)
