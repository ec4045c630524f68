"""Receipts and cosigning between the two parties of every agreement (issue 4 item 3, first half).

Each side records the agreement in its own transparency log. It then hands the other side a receipt
(c2sp.org/tlog-proof@v1: the inclusion proof of that entry and a signed checkpoint) together with the entry
itself. The receiver checks the proof against the sender's published log key, checks that the entry is this
agreement between these two parties, cosigns the sender's checkpoint (c2sp.org/tlog-cosignature) and records
the receipt in its own log. Both logs then hold evidence of the other: neither side can later rewrite its
history without the other's cosigned checkpoint exposing it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from battrace.errors import Forbidden, InvalidInput
from battrace.ledger.log import TransparencyLog
from battrace.ledger.merkle import leaf_hash
from battrace.ledger.note import (
    CosignatureSigner,
    CosignatureVerifier,
    NoteVerifier,
    b64encode,
    cosign,
    split_note,
)
from battrace.ledger.receipt import parse_receipt, verify_receipt
from battrace.store import Tx

LOG_SERVICE_TYPE = "TransparencyLog"


@dataclass(frozen=True)
class PeerLog:
    """What a participant publishes about its log in its DID document (a TransparencyLog service)."""

    endpoint: str
    vkey: str
    cosignature_vkey: str


def peer_log(did_document: Mapping[str, Any]) -> PeerLog:
    for service in did_document.get("service", []) or []:
        if isinstance(service, Mapping) and service.get("type") == LOG_SERVICE_TYPE:
            endpoint, vkey, covkey = (service.get(k) for k in ("serviceEndpoint", "vkey", "cosignatureVkey"))
            if isinstance(endpoint, str) and isinstance(vkey, str) and isinstance(covkey, str):
                return PeerLog(endpoint.rstrip("/"), vkey, covkey)
    raise InvalidInput(f"{did_document.get('id')} publishes no transparency log in its DID document")


class ReceiptExchange:
    def __init__(
        self, log: TransparencyLog, cosigner: CosignatureSigner, *, me: str, now: Callable[[], int]
    ) -> None:
        self._log = log
        self._cosigner = cosigner
        self._me = me
        self._now = now

    def outgoing(self, leaf_index: int, agreement_id: str) -> dict[str, Any]:
        """The body we send: the agreement's log entry, exactly as hashed, and its receipt."""
        entries = self._log.entries(leaf_index, leaf_index + 1)
        if not entries:
            raise InvalidInput(f"log entry {leaf_index} does not exist")
        entry = rfc8785.dumps(dict(entries[0].payload)).decode()
        return {"agreement": agreement_id, "entry": entry, "receipt": self._log.receipt(leaf_index)}

    def accept(self, tx: Tx, caller: str, body: Mapping[str, Any], caller_log: PeerLog) -> dict[str, Any]:
        """Check a peer's receipt for an agreement with us, record it, and return our cosignature."""
        agreement_id, entry_text, receipt_text = (body.get(k) for k in ("agreement", "entry", "receipt"))
        if not all(isinstance(v, str) for v in (agreement_id, entry_text, receipt_text)):
            raise InvalidInput("a receipt needs 'agreement', 'entry' and 'receipt' strings")
        assert isinstance(entry_text, str) and isinstance(receipt_text, str) and isinstance(agreement_id, str)
        checkpoint = verify_receipt(
            receipt_text, leaf_hash(entry_text.encode()), [NoteVerifier.from_vkey(caller_log.vkey)]
        )
        self._check_entry(caller, agreement_id, entry_text)
        note = parse_receipt(receipt_text).checkpoint_note
        cosigned = cosign(note, self._cosigner, self._now())
        self._log.append(
            tx,
            "log.receipt",
            {
                "peer": caller,
                "agreement": agreement_id,
                "leafIndex": parse_receipt(receipt_text).index,
                "checkpoint": {
                    "origin": checkpoint.origin,
                    "size": checkpoint.size,
                    "root": b64encode(checkpoint.root),
                },
            },
        )
        return {"cosigned": cosigned}

    def _check_entry(self, caller: str, agreement_id: str, entry_text: str) -> None:
        try:
            entry = json.loads(entry_text)
        except ValueError as error:
            raise InvalidInput("the receipt's entry is not JSON") from error
        agreement = entry.get("agreement") if isinstance(entry, dict) else None
        if not isinstance(agreement, dict) or entry.get("kind") != "contract.agreement":
            raise InvalidInput("the receipt does not prove a contract agreement entry")
        if agreement.get("@id") != agreement_id:
            raise InvalidInput("the receipt proves another agreement")
        if {agreement.get("assigner"), agreement.get("assignee")} != {caller, self._me}:
            raise Forbidden("the agreement in the receipt is not between the caller and this participant")

    def settle(self, sent: Mapping[str, Any], answer: Mapping[str, Any], peer: PeerLog) -> None:
        """Keep the peer's cosignature of our checkpoint (refused if it cosigned another text: split view)."""
        cosigned = answer.get("cosigned")
        if not isinstance(cosigned, str):
            raise InvalidInput("the peer answered without a cosigned checkpoint")
        note = parse_receipt(str(sent["receipt"])).checkpoint_note
        text, _ = split_note(note)
        size = int(text.splitlines()[1])
        self._log.add_cosignature(size, cosigned, CosignatureVerifier.from_vkey(peer.cosignature_vkey))
